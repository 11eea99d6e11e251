// The route map the Kong tests share: two services named by service name (Kong verifies an
// upstream by its host), one with a path prefix upstream.
export const KONG_TEST_ROUTES = `[[routes]]
name = "core-data"
path = "/api/core-data"
upstream = "https://core-data:59880"

[[routes]]
name = "core-metadata"
path = "/api/core-metadata"
upstream = "https://core-metadata:59881/v2"
`;
