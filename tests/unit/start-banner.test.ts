import test from 'ava';
import { startBanner, type StartBannerFacts } from '../../engine/start-banner.ts';

const demo: StartBannerFacts = {
  role: 'all',
  addresses: { http: { host: '127.0.0.1', port: 8080 }, mllp: { 'ehr-mllp': 2575 } },
  https: false,
  httpSources: ['/fhir/ehr-fhir'],
  signIn: 'admin, password in var/demo-admin-password',
  fhirCredentials: 'bearer token in var/demo-fhir-token',
};

test("the banner names the console's address, the sign-in and where its password is kept, the MLLP port and the FHIR endpoint", (t) => {
  const banner = startBanner(demo);
  t.regex(banner, /Console +http:\/\/127\.0\.0\.1:8080\/\n/);
  t.regex(banner, /Sign in +admin, password in var\/demo-admin-password\n/);
  t.regex(banner, /MLLP +port 2575 \(channel ehr-mllp\)\n/);
  t.regex(banner, /FHIR +http:\/\/127\.0\.0\.1:8080\/fhir\/ehr-fhir +\(bearer token in var\/demo-fhir-token\)\n/);
});

test('a server listening on every address is reached at localhost; with HTTPS the addresses are https', (t) => {
  const banner = startBanner({ ...demo, https: true, addresses: { ...demo.addresses, http: { host: '0.0.0.0', port: 443 } } });
  t.regex(banner, /Console +https:\/\/localhost:443\//);
  t.regex(banner, /FHIR +https:\/\/localhost:443\/fhir\/ehr-fhir/);
  t.regex(startBanner({ ...demo, addresses: { ...demo.addresses, http: { host: '::1', port: 8080 } } }), /http:\/\/\[::1\]:8080\//);
});

test('a worker (no HTTP, no sources) says it has no listeners instead of naming addresses it does not serve', (t) => {
  const banner = startBanner({ ...demo, role: 'worker', addresses: { http: null, mllp: {} } });
  t.regex(banner, /role worker/);
  t.regex(banner, /No listeners/);
  t.false(/Console|FHIR|MLLP/.test(banner));
});
