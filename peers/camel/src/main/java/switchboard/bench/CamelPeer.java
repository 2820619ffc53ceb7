package switchboard.bench;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.main.Main;

/**
 * The durable peer of the benchmark: one Camel route that stores each HL7 message received over MLLP
 * in PostgreSQL and then acknowledges it.
 *
 * <p>camel-mllp's consumer runs the route synchronously on the connection's thread and only then
 * writes the ACK (autoAck, the default: MllpTcpServerConsumer.processMessage calls the processor,
 * then sendAcknowledgement): AA when the exchange completed, AE when it failed. The camel-sql producer
 * runs the INSERT on a pooled connection in autocommit mode, so the ACK leaves after the commit.
 *
 * <p>Everything else (the port, the pool, the database) is in application.properties.
 */
public final class CamelPeer extends RouteBuilder {

    @Override
    public void configure() {
        // By default camel-mllp resets connections past 5 (maxConcurrentConsumers) and its accept backlog
        // is 5, so 16 senders connecting at once wait a SYN retry (1 s): both sized for the 16 senders.
        from("mllp://127.0.0.1:{{peer.mllp.port}}?maxConcurrentConsumers={{peer.connections}}&backlog={{peer.connections}}")
            .routeId("hl7-to-postgres")
            // CamelMllpMessageControlId is MSH-10 (hl7Headers=true, the default); the body is the
            // message as a String (stringPayload=true, the default).
            .to("sql:INSERT INTO hl7_message (control_id, message)"
                + " VALUES (:#${header.CamelMllpMessageControlId}, :#${body})?dataSource=#hl7db");
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().addRoutesBuilder(new CamelPeer());
        main.run(args);
    }
}
