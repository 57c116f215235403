// Runs the real tfmodel binary the way the manifests do and checks that it answers.
//
//   node serve_check.mjs DEPLOY_DIR TFMODEL_BINARY HALF_PLUS_TWO_DIR
//
// For the Kubernetes Deployment: its command and args, with the ConfigMap's files written
// where the Deployment mounts them and the model volume pointed at a folder holding
// half_plus_two; for the KServe ClusterServingRuntime: its args with {{.Name}} filled in and
// /mnt/models pointed at half_plus_two. Ports are replaced by free ones. Each server must
// turn ready on the probe path, answer a predict and the metrics path, then exit 0 within
// the pod's grace period after SIGTERM.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";

const [deployDir, binary, modelDir] = process.argv.slice(2);
if (!modelDir) {
  console.error("usage: node serve_check.mjs DEPLOY_DIR TFMODEL_BINARY HALF_PLUS_TWO_DIR");
  process.exit(2);
}

function load(file) {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(deployDir, file), "utf8"))
    .map((d) => d.toJS())
    .filter(Boolean);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function get(url, init) {
  try {
    const r = await fetch(url, init);
    return { status: r.status, body: await r.text() };
  } catch (e) {
    return { status: 0, body: String(e) };
  }
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// Starts argv, waits for readyPath on restPort, runs the checks, stops with SIGTERM.
async function exercise(name, argv, restPort, readyPath, modelName, metricsPath, graceS) {
  const log = [];
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => log.push(String(d)));
  child.stderr.on("data", (d) => log.push(String(d)));
  let exited = null;
  const exitP = new Promise((r) => child.on("exit", (code, sig) => r((exited = { code, sig }))));
  const base = `http://127.0.0.1:${restPort}`;
  try {
    let ready = { status: 0 };
    for (let i = 0; i < 300 && !exited; ++i) {
      ready = await get(base + readyPath);
      if (ready.status === 200) break;
      await sleep(100);
    }
    check(ready.status === 200, `${readyPath} never answered 200 (last: ${ready.status} ${ready.body})`);
    const live = await get(`${base}/healthz`);
    check(live.status === 200, `/healthz: ${live.status}`);
    const pred = await get(`${base}/v1/models/${modelName}:predict`, {
      method: "POST",
      body: JSON.stringify({ instances: [1.0, 2.0, 5.0] }),
    });
    check(pred.status === 200, `predict: ${pred.status} ${pred.body}`);
    const got = JSON.parse(pred.body).predictions;
    check(JSON.stringify(got) === "[2.5,3,4.5]", `predict answered ${pred.body}`);
    if (metricsPath) {
      const m = await get(base + metricsPath);
      check(m.status === 200 && m.body.includes(":tensorflow:serving:request_count"),
        `metrics at ${metricsPath}: ${m.status}`);
    }
    child.kill("SIGTERM");
    const t0 = Date.now();
    const res = await Promise.race([exitP, sleep(graceS * 1000).then(() => null)]);
    check(res !== null, `did not exit within the ${graceS} s grace period after SIGTERM`);
    check(res.code === 0, `exit after SIGTERM: code ${res.code} signal ${res.sig}`);
    console.log(`ok ${name}: ready on ${readyPath}, predict, SIGTERM -> exit 0 in ${Date.now() - t0} ms`);
  } catch (e) {
    if (!exited) child.kill("SIGKILL");
    console.error(`FAIL ${name}: ${e.message}\n--- server log ---\n${log.join("")}`);
    return false;
  }
  return true;
}

function mapPath(p, mounts) {
  for (const [from, to] of mounts) {
    if (p === from || p.startsWith(from + "/")) return to + p.slice(from.length);
  }
  return p;
}

function portArgs(args, ports) {
  return args.map((a) => {
    const m = /^--(port|rest_api_port)=/.exec(a);
    return m ? `--${m[1]}=${ports[m[1]]}` : a;
  });
}

async function checkDeployment(tmp) {
  const dep = load("kubernetes/deployment.yaml")[0];
  const cm = load("kubernetes/configmap.yaml")[0];
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  // The ConfigMap volume and the model volume, as the kubelet would mount them.
  const mounts = [];
  for (const vm of c.volumeMounts) {
    const vol = pod.volumes.find((v) => v.name === vm.name);
    const dir = path.join(tmp, "dep", vm.name);
    fs.mkdirSync(dir, { recursive: true });
    if (vol.configMap) {
      for (const [k, v] of Object.entries(cm.data)) fs.writeFileSync(path.join(dir, k), v);
    }
    mounts.push([vm.mountPath, dir]);
  }
  const modelsMount = mounts.find(([from]) => from === "/models")[1];
  fs.symlinkSync(path.resolve(modelDir), path.join(modelsMount, "half_plus_two"));
  // models.config names /models/...: rewrite it to the folder standing in for the volume.
  const cfgMount = mounts.find(([from]) => from === "/config")[1];
  const cfg = path.join(cfgMount, "models.config");
  fs.writeFileSync(cfg, fs.readFileSync(cfg, "utf8").replaceAll('"/models/', `"${modelsMount}/`));
  const ports = { port: await freePort(), rest_api_port: await freePort() };
  const args = portArgs(c.args, ports).map((a) => {
    const eq = a.indexOf("=");
    return eq < 0 ? a : a.slice(0, eq + 1) + mapPath(a.slice(eq + 1), mounts);
  });
  const argv = [binary, ...c.command.slice(1), ...args];
  const metrics = /path:\s*"([^"]+)"/.exec(cm.data["monitoring.config"])[1];
  return exercise("kubernetes/deployment.yaml", argv, ports.rest_api_port,
    c.readinessProbe.httpGet.path, "half_plus_two", metrics, pod.terminationGracePeriodSeconds);
}

async function checkKServeRuntime() {
  const rt = load("kserve/cluster_serving_runtime.yaml")[0];
  const c = rt.spec.containers.find((x) => x.name === "kserve-container");
  const ports = { port: await freePort(), rest_api_port: await freePort() };
  const args = portArgs(c.args, ports).map((a) =>
    a.replace("{{.Name}}", "half-plus-two").replace("=/mnt/models", `=${path.resolve(modelDir)}`));
  const argv = [binary, ...c.command.slice(1), ...args];
  // KServe probes the model status URL; its default grace period is 30 s.
  return exercise("kserve/cluster_serving_runtime.yaml", argv, ports.rest_api_port,
    "/v1/models/half-plus-two", "half-plus-two", null, 30);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tfmodel-deploy-"));
let ok = false;
try {
  ok = (await checkDeployment(tmp)) & (await checkKServeRuntime());
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
