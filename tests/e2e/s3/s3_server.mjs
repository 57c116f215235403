// The S3 server of the s3:// serve end-to-end test:  node s3_server.mjs PORT DIRECTORY
// s3rver (a local S3 API server) behind a front that verifies every request's AWS
// Signature V4 itself: s3rver 3.7 checks the access key id but not V4 signatures.
// Account: S3RVER / S3RVER (s3rver's built-in one). Prints "ready" when listening on PORT.
// Fault injection: while the file DIRECTORY.fail holds a number N > 0, the next N requests
// get 503 SlowDown (N is decremented per request).
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import S3rver from "s3rver";

const [port, directory] = process.argv.slice(2);
const secrets = { S3RVER: "S3RVER" };

const s3rver = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true });
const backend = await s3rver.run();

const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => crypto.createHmac("sha256", key).update(data).digest();
// S3's URI encoding: all but A-Za-z0-9-_.~ as %XX.
const encode = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

function xmlError(res, status, code, message) {
  res.writeHead(status, { "Content-Type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
          `<Message>${message}</Message></Error>`);
}

// Returns null when the request is anonymous or correctly signed, else [status, code, text].
function verify(req) {
  const auth = req.headers.authorization;
  if (!auth) return null;  // anonymous: s3rver decides (its buckets are public)
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return [400, "AuthorizationHeaderMalformed", "unparsable Authorization header"];
  const [, keyId, date, region, signedHeaders, signature] = m;
  const secret = secrets[keyId];
  if (secret === undefined) {
    return [403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."];
  }
  const payloadHash = req.headers["x-amz-content-sha256"];
  if (!payloadHash) return [400, "InvalidRequest", "Missing required header: x-amz-content-sha256"];
  const [path, query = ""] = req.url.split("?", 2);
  const canonicalQuery = query === "" ? "" : query.split("&").map((kv) => {
    const [k, v = ""] = kv.split("=", 2);
    return [encode(decodeURIComponent(k)), encode(decodeURIComponent(v))];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join("&");
  const names = signedHeaders.split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) {
    return [403, "AccessDenied", "host and x-amz-date must be signed"];
  }
  const canonicalHeaders = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${(Array.isArray(v) ? v.join(",") : v ?? "").trim().replace(/\s+/g, " ")}\n`;
  }).join("");
  const canonical = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", req.headers["x-amz-date"], scope, sha256(canonical)].join("\n");
  let key = hmac("AWS4" + secret, date);
  for (const part of [region, "s3", "aws4_request"]) key = hmac(key, part);
  const expected = hmac(key, toSign).toString("hex");
  if (expected !== signature) {
    return [403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."];
  }
  return null;
}

// Whether this request should fail with a transient error (see DIRECTORY.fail).
function injectFault() {
  const file = directory + ".fail";
  let n = 0;
  try { n = Number(fs.readFileSync(file, "utf8")); } catch { return false; }
  if (!(n > 0)) return false;
  fs.writeFileSync(file, String(n - 1));
  return true;
}

const front = http.createServer((req, res) => {
  if (injectFault()) {
    req.resume();
    return xmlError(res, 503, "SlowDown", "Please reduce your request rate.");
  }
  const bad = verify(req);
  if (bad) {
    req.resume();
    return xmlError(res, ...bad);
  }
  const up = http.request({ host: "127.0.0.1", port: backend.port, method: req.method,
                            path: req.url, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", (e) => xmlError(res, 502, "BadGateway", String(e)));
  req.pipe(up);
});
front.listen(Number(port), "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", async () => {
  front.close();
  await s3rver.close();
  process.exit(0);
});
