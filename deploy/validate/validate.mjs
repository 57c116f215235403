// Validates tfmodel's deployment manifests offline.
//
//   node validate.mjs DEPLOY_DIR
//
// Kubernetes kinds (Deployment, Service, HorizontalPodAutoscaler, ConfigMap,
// PersistentVolumeClaim) are checked against the Kubernetes OpenAPI schemas that the
// kubernetes-models package carries. KServe's kinds have no published schema package, so
// their Kubernetes parts (metadata, containers, resources) are checked against the same
// Kubernetes schemas and the KServe fields against the shapes KServe's CRDs define.
// Cross-file references (kustomization resources, Service selector -> pod labels, named
// ports, ConfigMap and PVC names) must resolve. Prints one line per object; exits 1 on the
// first file with problems reported (all problems are listed).
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ConfigMap, PersistentVolumeClaim, Service, Container } from "kubernetes-models/v1";
import { ResourceRequirements } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1";

const kinds = {
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

const problems = [];
const objects = [];

function fail(where, msg) {
  problems.push(`${where}: ${msg}`);
}

function schemaCheck(where, Model, data) {
  try {
    new Model(data).validate();
  } catch (e) {
    fail(where, e.message.split("\n").join("; "));
  }
}

function checkFields(where, obj, allowed, required = []) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    fail(where, "must be an object");
    return false;
  }
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) fail(where, `unknown field '${k}'`);
  }
  for (const k of required) {
    if (!(k in obj)) fail(where, `missing required field '${k}'`);
  }
  return true;
}

// KServe serving.kserve.io/v1alpha1 ClusterServingRuntime (ServingRuntimeSpec).
function checkServingRuntime(where, o) {
  checkFields(where, o, ["apiVersion", "kind", "metadata", "spec"], ["metadata", "spec"]);
  schemaCheck(`${where} metadata`, ObjectMeta, o.metadata);
  const s = o.spec ?? {};
  checkFields(`${where} spec`, s, [
    "annotations", "labels", "supportedModelFormats", "protocolVersions", "containers",
    "volumes", "disabled", "multiModel", "grpcDataEndpoint", "grpcEndpoint",
    "httpDataEndpoint", "replicas", "storageHelper", "builtInAdapter", "nodeSelector",
    "affinity", "tolerations", "imagePullSecrets",
  ], ["containers"]);
  for (const [i, f] of (s.supportedModelFormats ?? []).entries()) {
    const w = `${where} spec.supportedModelFormats[${i}]`;
    checkFields(w, f, ["name", "version", "autoSelect", "priority"], ["name"]);
    if (typeof f.name !== "string") fail(w, "name must be a string");
    if ("version" in f && typeof f.version !== "string") fail(w, "version must be a string");
    if ("autoSelect" in f && typeof f.autoSelect !== "boolean") fail(w, "autoSelect: boolean");
    if ("priority" in f && !(Number.isInteger(f.priority) && f.priority >= 1)) {
      fail(w, "priority must be an integer >= 1");
    }
  }
  const protocols = ["v1", "v2", "grpc-v1", "grpc-v2"];
  for (const p of s.protocolVersions ?? []) {
    if (!protocols.includes(p)) fail(`${where} spec.protocolVersions`, `unknown '${p}'`);
  }
  if (!Array.isArray(s.containers) || s.containers.length === 0) {
    fail(where, "spec.containers must list at least one container");
  }
  for (const [i, c] of (s.containers ?? []).entries()) {
    schemaCheck(`${where} spec.containers[${i}]`, Container, c);
  }
  if (!(s.containers ?? []).some((c) => c.name === "kserve-container")) {
    fail(where, "KServe runs the container named 'kserve-container'");
  }
}

// KServe serving.kserve.io/v1beta1 InferenceService (predictor.model only).
function checkInferenceService(where, o) {
  checkFields(where, o, ["apiVersion", "kind", "metadata", "spec"], ["metadata", "spec"]);
  schemaCheck(`${where} metadata`, ObjectMeta, o.metadata);
  const pred = o.spec?.predictor;
  if (!pred) return fail(where, "spec.predictor is required");
  const m = pred.model;
  if (!m) return fail(where, "spec.predictor.model is required");
  const w = `${where} spec.predictor.model`;
  if (typeof m.modelFormat?.name !== "string") fail(w, "modelFormat.name is required");
  if ("storageUri" in m && !/^(gs|s3|pvc|https?|hdfs|webhdfs|oci):\/\//.test(m.storageUri)) {
    fail(w, `storageUri '${m.storageUri}' has no scheme KServe's storage initializer knows`);
  }
  if (m.resources) schemaCheck(`${w}.resources`, ResourceRequirements, m.resources);
}

function loadFile(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const d of docs) {
    if (d.errors.length) {
      fail(file, d.errors.map((e) => e.message).join("; "));
      continue;
    }
    const o = d.toJS();
    if (o) objects.push({ file, o });
  }
}

function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "validate") walk(p);
    } else if (/\.ya?ml$/.test(e.name)) {
      loadFile(p);
    }
  }
}

function crossChecks() {
  const byKind = (k) => objects.filter((x) => x.o.kind === k);
  const names = (k) => new Set(byKind(k).map((x) => x.o.metadata?.name));
  for (const { file, o } of byKind("Deployment")) {
    const tpl = o.spec.template;
    const labels = tpl.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(o.spec.selector?.matchLabels ?? {})) {
      if (labels[k] !== v) fail(file, `selector ${k}=${v} does not match the pod labels`);
    }
    for (const v of tpl.spec.volumes ?? []) {
      if (v.configMap && !names("ConfigMap").has(v.configMap.name)) {
        fail(file, `volume '${v.name}' uses ConfigMap '${v.configMap.name}', not defined`);
      }
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && !names("PersistentVolumeClaim").has(claim)) {
        fail(file, `volume '${v.name}' uses claim '${claim}', not defined`);
      }
    }
    const portNames = new Set();
    for (const c of tpl.spec.containers) {
      for (const p of c.ports ?? []) portNames.add(p.name);
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        const port = probe?.httpGet?.port;
        if (typeof port === "string" && !(c.ports ?? []).some((p) => p.name === port)) {
          fail(file, `container '${c.name}' probe uses port '${port}', not declared`);
        }
      }
      for (const m of c.volumeMounts ?? []) {
        if (!(tpl.spec.volumes ?? []).some((v) => v.name === m.name)) {
          fail(file, `container '${c.name}' mounts '${m.name}', no such volume`);
        }
      }
    }
    for (const { file: sf, o: svc } of byKind("Service")) {
      const sel = svc.spec.selector ?? {};
      if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
      for (const p of svc.spec.ports) {
        if (typeof p.targetPort === "string" && !portNames.has(p.targetPort)) {
          fail(sf, `port '${p.name}' targets '${p.targetPort}', not a container port`);
        }
      }
    }
  }
  for (const { file, o } of byKind("HorizontalPodAutoscaler")) {
    const ref = o.spec.scaleTargetRef;
    if (!byKind(ref.kind).some((x) => x.o.metadata.name === ref.name)) {
      fail(file, `scaleTargetRef ${ref.kind}/${ref.name} is not defined`);
    }
  }
  for (const { file, o } of byKind("InferenceService")) {
    const rt = o.spec.predictor?.model?.runtime;
    if (rt && !names("ClusterServingRuntime").has(rt)) {
      fail(file, `runtime '${rt}' is not defined`);
    }
  }
}

function checkKustomizations(dir) {
  for (const { file, o } of objects.filter((x) => x.o.kind === "Kustomization")) {
    for (const r of o.resources ?? []) {
      if (!fs.existsSync(path.join(path.dirname(file), r))) {
        fail(file, `resource '${r}' does not exist`);
      }
    }
    const listed = new Set((o.resources ?? []).map((r) => path.join(path.dirname(file), r)));
    for (const f of fs.readdirSync(path.dirname(file))) {
      const p = path.join(path.dirname(file), f);
      if (/\.ya?ml$/.test(f) && f !== path.basename(file) && !listed.has(p)) {
        fail(file, `'${f}' is not listed in resources`);
      }
    }
  }
  void dir;
}

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node validate.mjs DEPLOY_DIR");
  process.exit(2);
}
walk(dir);
if (objects.length === 0) fail(dir, "no manifests found");
for (const { file, o } of objects) {
  const where = `${file} ${o.kind}/${o.metadata?.name ?? ""}`;
  const key = `${o.apiVersion}/${o.kind}`;
  if (kinds[key]) {
    schemaCheck(where, kinds[key], o);
  } else if (key === "serving.kserve.io/v1alpha1/ClusterServingRuntime") {
    checkServingRuntime(where, o);
  } else if (key === "serving.kserve.io/v1beta1/InferenceService") {
    checkInferenceService(where, o);
  } else if (key !== "kustomize.config.k8s.io/v1beta1/Kustomization") {
    fail(where, `no schema for ${key}`);
    continue;
  }
  console.log(`checked ${where}`);
}
crossChecks();
checkKustomizations(dir);
for (const p of problems) console.error(`INVALID ${p}`);
process.exit(problems.length ? 1 : 0);
