// The nginx locations of a `scheme = "uwsgi"` route: the uwsgi protocol over TLS (suwsgi) to a
// WSGI app served by uWSGI, verified against the stack's CA by the service's name, with the
// gateway's client certificate presented, exactly as the HTTPS routes do with proxy_ssl_*.
// The CGI variables are written out here rather than taken from /etc/nginx/uwsgi_params, so the
// generated config does not depend on what a distribution ships.
import type { Route } from "./route-map.js";

export interface UwsgiTlsFiles {
  ca: string;
  clientChain: string;
  clientKey: string;
}

/**
 * `auth` is the JWT check every route starts with. Header-named params (HTTP_*) replace the
 * client's header of that name, so a client can neither pass its token on nor forge the user.
 */
export function renderUwsgiRoute(route: Route, resolveLate: boolean, auth: string, files: UwsgiTlsFiles): string {
  const prefix = route.path === "/" ? "/" : `${route.path}/`;
  const scriptName = route.path === "/" ? "" : route.path;
  const hostPort = route.upstreamOrigin.slice("suwsgi://".length);
  // The app sees SCRIPT_NAME = the prefix and PATH_INFO = the rest (what Django's reverse() needs).
  // With a resolver the upstream is a variable, set before the rewrite: `rewrite … break` ends the
  // rewrite module's directives, so a `set` after it would never run (nginx: "invalid host").
  const late = resolveLate ? `            set $bootgate_upstream "${hostPort}";\n` : "";
  const body = (
    exact: boolean,
  ) => `${auth}${late}            rewrite ${exact ? "^.*$ /" : `^${escapeRegex(route.path === "/" ? "" : route.path)}(/.*)$ $1`} break;
            uwsgi_param QUERY_STRING $query_string;
            uwsgi_param REQUEST_METHOD $request_method;
            uwsgi_param CONTENT_TYPE $content_type;
            uwsgi_param CONTENT_LENGTH $content_length;
            uwsgi_param REQUEST_URI $request_uri;
            uwsgi_param SCRIPT_NAME "${scriptName}";
            uwsgi_param PATH_INFO $uri;
            uwsgi_param SERVER_PROTOCOL $server_protocol;
            uwsgi_param REQUEST_SCHEME https;
            uwsgi_param HTTPS on;
            uwsgi_param REMOTE_ADDR $remote_addr;
            uwsgi_param REMOTE_PORT $remote_port;
            uwsgi_param SERVER_PORT $server_port;
            uwsgi_param SERVER_NAME $host;
            uwsgi_param HTTP_AUTHORIZATION "";
            uwsgi_param HTTP_X_AUTHENTICATED_USER $bootgate_user;
            uwsgi_param HTTP_X_FORWARDED_FOR $proxy_add_x_forwarded_for;
            uwsgi_param HTTP_X_FORWARDED_PROTO https;
            uwsgi_ssl_protocols TLSv1.2 TLSv1.3;
            uwsgi_ssl_verify on;
            uwsgi_ssl_verify_depth 4;
            uwsgi_ssl_trusted_certificate ${files.ca};
            uwsgi_ssl_server_name on;
            uwsgi_ssl_name ${route.service};
            uwsgi_ssl_certificate ${files.clientChain};
            uwsgi_ssl_certificate_key ${files.clientKey};
            uwsgi_ssl_session_reuse on;
            uwsgi_pass suwsgi://${resolveLate ? "$bootgate_upstream" : hostPort};
`;
  const exact =
    route.path === "/"
      ? ""
      : `
        location = ${route.path} {
${body(true)}        }
`;
  return `
        # route ${route.name} -> ${route.service} (uwsgi over TLS)
        location ^~ ${prefix} {
${body(false)}        }
${exact}`;
}

function escapeRegex(path: string): string {
  return path.replace(/[.]/g, "\\.");
}
