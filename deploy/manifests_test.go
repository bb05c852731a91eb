package deploy

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	kubeDir = "kubernetes"
	// Defaults of DESIGN.md, used when the ConfigMap leaves a setting out.
	defaultConcurrency     = "16"
	defaultShutdownTimeout = "25s"
	defaultMetricsAddr     = ":9090"
	defaultPprofAddr       = "127.0.0.1:6060"
	// minDrainMargin is what the kubelet must leave after SHUTDOWN_TIMEOUT
	// for journal writes, releasing messages and the final deletes.
	minDrainMargin = 10 * time.Second
)

// manifests is every object under deploy/kubernetes, and the worker's
// effective environment as Kubernetes would build it.
type manifests struct {
	docs   []doc
	files  []string // *.yaml / *.yml base names
	worker map[string]any
	env    map[string]string // literal values: ConfigMap via envFrom, then env[].value
}

func (m *manifests) all(kind string) []doc {
	var out []doc
	for _, d := range m.docs {
		if str(d.obj, "kind") == kind {
			out = append(out, d)
		}
	}
	return out
}

func (m *manifests) one(t *testing.T, kind string) doc {
	t.Helper()
	ds := m.all(kind)
	if len(ds) != 1 {
		t.Fatalf("want exactly one %s in %s, found %d", kind, kubeDir, len(ds))
	}
	return ds[0]
}

func (m *manifests) byName(kind, name string) (doc, bool) {
	for _, d := range m.all(kind) {
		if str(d.obj, "metadata", "name") == name {
			return d, true
		}
	}
	return doc{}, false
}

// setting is the worker's value of an environment variable, or def.
func (m *manifests) setting(name, def string) string {
	if v, ok := m.env[name]; ok {
		return v
	}
	return def
}

// metricsPort is the port of METRICS_ADDR.
func (m *manifests) metricsPort(t *testing.T) int {
	t.Helper()
	addr := m.setting("METRICS_ADDR", defaultMetricsAddr)
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("METRICS_ADDR=%q: %v", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("METRICS_ADDR=%q: %v", addr, err)
	}
	return port
}

func (m *manifests) podSpec() map[string]any { return dict(m.worker, "spec", "template", "spec") }

func (m *manifests) containers() []map[string]any {
	var out []map[string]any
	for _, c := range list(m.podSpec(), "containers") {
		if c, ok := c.(map[string]any); ok {
			out = append(out, c)
		}
	}
	return out
}

var loadManifests = sync.OnceValues(func() (*manifests, error) {
	paths, err := filepath.Glob(filepath.Join(kubeDir, "*"))
	if err != nil {
		return nil, err
	}
	m := &manifests{}
	for _, p := range paths {
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			continue
		}
		m.files = append(m.files, filepath.Base(p))
		docs, err := readYAML(p)
		if err != nil {
			return nil, err
		}
		m.docs = append(m.docs, docs...)
	}
	return m, nil
})

// load returns the manifests with the summarizer Deployment and its
// environment resolved; it fails t when they are not there.
func load(t *testing.T) *manifests {
	t.Helper()
	all, err := loadManifests()
	if err != nil {
		t.Fatal(err)
	}
	m := *all
	dep, ok := m.byName("Deployment", "summarizer")
	if !ok {
		t.Fatal("no Deployment summarizer in " + kubeDir)
	}
	m.worker = dep.obj
	cs := m.containers()
	if len(cs) != 1 {
		t.Fatalf("Deployment summarizer: want 1 container, got %d", len(cs))
	}
	m.env = map[string]string{}
	for _, ef := range list(cs[0], "envFrom") {
		name := str(ef, "configMapRef", "name")
		if name == "" {
			continue
		}
		cm, ok := m.byName("ConfigMap", name)
		if !ok {
			t.Fatalf("envFrom names ConfigMap %q, which is not in %s", name, kubeDir)
		}
		for k := range dict(cm.obj, "data") {
			m.env[k] = str(cm.obj, "data", k)
		}
	}
	for _, e := range list(cs[0], "env") {
		if v, ok := get(e, "value").(string); ok {
			m.env[str(e, "name")] = v
		}
	}
	return &m
}

func TestManifests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check func(t *testing.T, m *manifests)
	}{
		{"every document is a named Kubernetes object", func(t *testing.T, m *manifests) {
			if len(m.docs) == 0 {
				t.Fatal("no YAML documents in " + kubeDir)
			}
			for _, d := range m.docs {
				if d.file == "kustomization.yaml" {
					continue
				}
				if str(d.obj, "apiVersion") == "" || str(d.obj, "kind") == "" || str(d.obj, "metadata", "name") == "" {
					t.Errorf("%v: apiVersion, kind and metadata.name are required", d)
				}
			}
		}},
		{"grace period exceeds SHUTDOWN_TIMEOUT by 10s", func(t *testing.T, m *manifests) {
			raw := m.setting("SHUTDOWN_TIMEOUT", defaultShutdownTimeout)
			shutdown, err := time.ParseDuration(raw)
			if err != nil {
				t.Fatalf("SHUTDOWN_TIMEOUT=%q: %v", raw, err)
			}
			graceRaw := str(m.podSpec(), "terminationGracePeriodSeconds")
			grace, err := strconv.Atoi(graceRaw)
			if err != nil {
				t.Fatalf("terminationGracePeriodSeconds=%q: want a number (the default 30 is too close)", graceRaw)
			}
			if got := time.Duration(grace)*time.Second - shutdown; got < minDrainMargin {
				t.Errorf("terminationGracePeriodSeconds %d leaves %v after SHUTDOWN_TIMEOUT %v, want >= %v",
					grace, got, shutdown, minDrainMargin)
			}
		}},
		{"container runs the worker", func(t *testing.T, m *manifests) {
			c := m.containers()[0]
			if args := list(c, "args"); len(args) != 1 || args[0] != "run" {
				t.Errorf("args = %v, want [run]", args)
			}
			if cmd := list(c, "command"); cmd != nil {
				t.Errorf("command = %v overrides the image's ENTRYPOINT", cmd)
			}
			if str(c, "image") == "" {
				t.Error("no image")
			}
		}},
		{"KEDA queueLength is CONCURRENCY + PREFETCH", func(t *testing.T, m *manifests) {
			c, err := strconv.Atoi(m.setting("CONCURRENCY", defaultConcurrency))
			if err != nil {
				t.Fatal(err)
			}
			p := max(2, c/4) // PREFETCH=auto
			if v := m.setting("PREFETCH", "auto"); v != "auto" {
				if p, err = strconv.Atoi(v); err != nil {
					t.Fatal(err)
				}
			}
			trig := sqsTrigger(t, m)
			if got, want := str(trig, "metadata", "queueLength"), strconv.Itoa(c+p); got != want {
				t.Errorf("queueLength = %q, want CONCURRENCY + PREFETCH = %s: one replica per message slots of one pod", got, want)
			}
		}},
		{"KEDA counts messages in flight", func(t *testing.T, m *manifests) {
			if got := str(sqsTrigger(t, m), "metadata", "scaleOnInFlight"); got != "true" {
				t.Errorf(`scaleOnInFlight = %q, want "true": busy pods would be scaled away`, got)
			}
		}},
		{"KEDA watches the worker's queue", func(t *testing.T, m *manifests) {
			trig := sqsTrigger(t, m)
			if got, want := str(trig, "metadata", "queueURL"), m.setting("QUEUE_URL", ""); got == "" || got != want {
				t.Errorf("queueURL = %q, want the ConfigMap's QUEUE_URL %q", got, want)
			}
			if got, want := str(trig, "metadata", "awsRegion"), m.setting("AWS_REGION", ""); got == "" || got != want {
				t.Errorf("awsRegion = %q, want the ConfigMap's AWS_REGION %q", got, want)
			}
			so := m.one(t, "ScaledObject")
			if got := str(so.obj, "spec", "scaleTargetRef", "name"); got != str(m.worker, "metadata", "name") {
				t.Errorf("scaleTargetRef.name = %q, want the Deployment", got)
			}
			min, _ := strconv.Atoi(str(so.obj, "spec", "minReplicaCount"))
			max, _ := strconv.Atoi(str(so.obj, "spec", "maxReplicaCount"))
			if max < 1 || min > max {
				t.Errorf("minReplicaCount %d, maxReplicaCount %d", min, max)
			}
			auth := str(trig, "authenticationRef", "name")
			ta, ok := m.byName("TriggerAuthentication", auth)
			if !ok {
				t.Fatalf("authenticationRef %q is not a TriggerAuthentication in %s", auth, kubeDir)
			}
			if got := str(ta.obj, "spec", "podIdentity", "provider"); got != "aws" {
				t.Errorf("TriggerAuthentication podIdentity.provider = %q, want aws (IRSA, no keys)", got)
			}
		}},
		{"probes and metrics on METRICS_ADDR", func(t *testing.T, m *manifests) {
			want := m.metricsPort(t)
			c := m.containers()[0]
			named := map[string]int{}
			metrics := 0
			for _, p := range list(c, "ports") {
				n, _ := strconv.Atoi(str(p, "containerPort"))
				named[str(p, "name")] = n
				if str(p, "name") == "metrics" {
					metrics = n
				}
			}
			if metrics != want {
				t.Errorf("containerPort named metrics = %d, want %d (METRICS_ADDR)", metrics, want)
			}
			for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
				if got := str(c, probe, "httpGet", "path"); got != path {
					t.Errorf("%s path = %q, want %q", probe, got, path)
				}
				port := str(c, probe, "httpGet", "port")
				n, err := strconv.Atoi(port)
				if err != nil {
					n = named[port]
				}
				if n != want {
					t.Errorf("%s port %q is %d, want %d (METRICS_ADDR)", probe, port, n, want)
				}
			}
			ann := dict(m.worker, "spec", "template", "metadata", "annotations")
			if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(want) {
				t.Errorf("prometheus annotations %v, want scrape true on port %d", ann, want)
			}
		}},
		{"secrets only by reference", func(t *testing.T, m *manifests) {
			secretish := func(name string) bool {
				u := strings.ToUpper(name)
				for _, w := range []string{"KEY", "SECRET", "TOKEN", "PASSWORD"} {
					if strings.Contains(u, w) {
						return true
					}
				}
				return false
			}
			for _, d := range m.docs {
				switch str(d.obj, "kind") {
				case "Secret":
					if dict(d.obj, "data") != nil || dict(d.obj, "stringData") != nil {
						t.Errorf("%v: a Secret with data is committed; create it with kubectl instead", d)
					}
				case "ConfigMap":
					for k := range dict(d.obj, "data") {
						if secretish(k) {
							t.Errorf("%v: %s belongs in a Secret, not a ConfigMap", d, k)
						}
					}
				}
				for _, c := range list(d.obj, "spec", "template", "spec", "containers") {
					for _, e := range list(c, "env") {
						name := str(e, "name")
						if !secretish(name) {
							continue
						}
						if get(e, "value") != nil {
							t.Errorf("%v: env %s has a literal value", d, name)
						}
						if str(e, "valueFrom", "secretKeyRef", "name") == "" {
							t.Errorf("%v: env %s must come from valueFrom.secretKeyRef", d, name)
						}
					}
				}
			}
		}},
		{"non-root, read-only, no privileges", func(t *testing.T, m *manifests) {
			pod := dict(m.podSpec(), "securityContext")
			for _, c := range m.containers() {
				sc := dict(c, "securityContext")
				// A container's field wins over the pod's.
				field := func(k string) any {
					if v, ok := sc[k]; ok {
						return v
					}
					return pod[k]
				}
				if field("runAsNonRoot") != true {
					t.Error("runAsNonRoot is not true")
				}
				if uid := str(field("runAsUser")); uid == "0" {
					t.Error("runAsUser 0")
				}
				if sc["readOnlyRootFilesystem"] != true {
					t.Error("readOnlyRootFilesystem is not true")
				}
				if sc["allowPrivilegeEscalation"] != false {
					t.Error("allowPrivilegeEscalation is not false")
				}
				if drop := list(sc, "capabilities", "drop"); !slices.Contains(drop, any("ALL")) {
					t.Errorf("capabilities.drop = %v, want ALL", drop)
				}
				if add := list(sc, "capabilities", "add"); len(add) > 0 {
					t.Errorf("capabilities.add = %v", add)
				}
				if str(field("seccompProfile"), "type") != "RuntimeDefault" {
					t.Error("seccompProfile is not RuntimeDefault")
				}
			}
		}},
		{"resources requested and limited", func(t *testing.T, m *manifests) {
			c := m.containers()[0]
			for _, k := range []string{"requests", "limits"} {
				for _, r := range []string{"cpu", "memory"} {
					if str(c, "resources", k, r) == "" {
						t.Errorf("resources.%s.%s missing", k, r)
					}
				}
			}
		}},
		{"memory settings follow the memory limit", func(t *testing.T, m *manifests) {
			checkMemory(t, m, runSettings(t))
		}},
		{"KEDA assumes its own role, not the worker's", func(t *testing.T, m *manifests) {
			ta, ok := m.byName("TriggerAuthentication", str(sqsTrigger(t, m), "authenticationRef", "name"))
			if !ok {
				t.Fatal("the trigger's TriggerAuthentication is missing")
			}
			role := str(ta.obj, "spec", "podIdentity", "roleArn")
			if !roleArn.MatchString(role) {
				t.Errorf("TriggerAuthentication podIdentity.roleArn = %q, want KEDA's role (the KedaRoleArn output)", role)
			}
			if owner := str(ta.obj, "spec", "podIdentity", "identityOwner"); owner != "" {
				t.Errorf("TriggerAuthentication identityOwner = %q: workload borrows the worker's role; use roleArn alone", owner)
			}
			if role == m.workerRole(t) {
				t.Errorf("TriggerAuthentication assumes the worker's role %s", role)
			}
		}},
		{"one account everywhere", func(t *testing.T, m *manifests) {
			want := queueAccount(t, m.setting("QUEUE_URL", ""))
			ta, _ := m.byName("TriggerAuthentication", str(sqsTrigger(t, m), "authenticationRef", "name"))
			for what, arn := range map[string]string{
				"ServiceAccount eks.amazonaws.com/role-arn": m.workerRole(t),
				"TriggerAuthentication podIdentity.roleArn": str(ta.obj, "spec", "podIdentity", "roleArn"),
			} {
				if sub := roleArn.FindStringSubmatch(arn); sub == nil || sub[1] != want {
					t.Errorf("%s = %q, want a role of QUEUE_URL's account %s", what, arn, want)
				}
			}
			// EXPECTED_BUCKET_OWNER defaults to QUEUE_URL's account; set, it
			// must name an account, never disable the check.
			if v, ok := m.env["EXPECTED_BUCKET_OWNER"]; ok && !regexp.MustCompile(`^[0-9]{12}$`).MatchString(v) {
				t.Errorf("EXPECTED_BUCKET_OWNER = %q, want an account id (default: %s, QUEUE_URL's)", v, want)
			}
		}},
		{"ALLOWED_BUCKETS names the input bucket", func(t *testing.T, m *manifests) {
			v, ok := m.env["ALLOWED_BUCKETS"]
			if !ok || strings.TrimSpace(v) == "" {
				t.Fatal("ALLOWED_BUCKETS is not set: events for any bucket would be read")
			}
			pattern := regexp.MustCompile(str(template(t), "Parameters", "BucketName", "AllowedPattern"))
			for _, b := range strings.Split(v, ",") {
				if !pattern.MatchString(strings.TrimSpace(b)) {
					t.Errorf("ALLOWED_BUCKETS entry %q is not a bucket name (%s)", b, pattern)
				}
			}
		}},
		{"pprof never leaves the pod", func(t *testing.T, m *manifests) {
			addr := m.setting("PPROF_ADDR", defaultPprofAddr)
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatalf("PPROF_ADDR=%q: %v", addr, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				t.Errorf("PPROF_ADDR=%q listens beyond loopback: profiles and goroutine dumps would be reachable from the cluster", addr)
			}
			if port == strconv.Itoa(m.metricsPort(t)) {
				t.Errorf("PPROF_ADDR=%q shares the metrics port", addr)
			}
			for _, p := range list(m.containers()[0], "ports") {
				if str(p, "containerPort") == port {
					t.Errorf("containerPort %s exposes PPROF_ADDR", port)
				}
			}
		}},
		{"PodDisruptionBudget covers the pods", func(t *testing.T, m *manifests) {
			pdb := m.one(t, "PodDisruptionBudget")
			if got := str(pdb.obj, "spec", "maxUnavailable"); got != "1" {
				t.Errorf("maxUnavailable = %q, want 1", got)
			}
			labels := dict(m.worker, "spec", "template", "metadata", "labels")
			sel := dict(pdb.obj, "spec", "selector", "matchLabels")
			if len(sel) == 0 {
				t.Fatal("PodDisruptionBudget has no matchLabels")
			}
			for k, v := range sel {
				if labels[k] != v {
					t.Errorf("PodDisruptionBudget selects %s=%v, pods have %v", k, v, labels[k])
				}
			}
		}},
		{"ServiceAccount with an IRSA role", func(t *testing.T, m *manifests) {
			name := str(m.podSpec(), "serviceAccountName")
			sa, ok := m.byName("ServiceAccount", name)
			if !ok {
				t.Fatalf("serviceAccountName %q is not in %s", name, kubeDir)
			}
			if arn := str(sa.obj, "metadata", "annotations", "eks.amazonaws.com/role-arn"); !strings.HasPrefix(arn, "arn:aws") {
				t.Errorf("eks.amazonaws.com/role-arn = %q", arn)
			}
		}},
		{"kustomization lists every file", func(t *testing.T, m *manifests) {
			var kust doc
			for _, d := range m.docs {
				if d.file == "kustomization.yaml" {
					kust = d
				}
			}
			if kust.obj == nil {
				t.Fatal("no kustomization.yaml")
			}
			var listed []string
			for _, r := range list(kust.obj, "resources") {
				r, _ := r.(string)
				listed = append(listed, r)
				if _, err := os.Stat(filepath.Join(kubeDir, r)); err != nil {
					t.Errorf("kustomization.yaml lists %s: %v", r, err)
				}
			}
			for _, f := range m.files {
				if f != "kustomization.yaml" && !slices.Contains(listed, f) {
					t.Errorf("%s is not listed in kustomization.yaml resources", f)
				}
			}
		}},
		{"Dockerfile", func(t *testing.T, m *manifests) {
			checkDockerfile(t, "../Dockerfile", m.metricsPort(t))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, load(t))
		})
	}
}

var (
	roleArn    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/.+$`)
	queueURLRe = regexp.MustCompile(`^https://sqs\.[a-z0-9-]+\.amazonaws\.com[a-z.]*/([0-9]{12})/[A-Za-z0-9_-]+$`)
)

// workerRole is the IRSA role of the Deployment's ServiceAccount.
func (m *manifests) workerRole(t *testing.T) string {
	t.Helper()
	sa, ok := m.byName("ServiceAccount", str(m.podSpec(), "serviceAccountName"))
	if !ok {
		t.Fatal("the Deployment's ServiceAccount is missing")
	}
	return str(sa.obj, "metadata", "annotations", "eks.amazonaws.com/role-arn")
}

// queueAccount is the account id in a queue URL.
func queueAccount(t *testing.T, url string) string {
	t.Helper()
	sub := queueURLRe.FindStringSubmatch(url)
	if sub == nil {
		t.Fatalf("QUEUE_URL %q is not https://sqs.REGION.amazonaws.com/ACCOUNT/NAME", url)
	}
	return sub[1]
}

// sqsTrigger is the ScaledObject's aws-sqs-queue trigger.
func sqsTrigger(t *testing.T, m *manifests) map[string]any {
	t.Helper()
	so := m.one(t, "ScaledObject")
	for _, tr := range list(so.obj, "spec", "triggers") {
		if str(tr, "type") == "aws-sqs-queue" {
			return tr.(map[string]any)
		}
	}
	t.Fatalf("%v: no aws-sqs-queue trigger", so)
	return nil
}

// checkDockerfile reads the final stage of a Dockerfile (instructions after
// the last FROM, continuation lines joined) and the build stage's go build.
func checkDockerfile(t *testing.T, path string, metricsPort int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var instrs []string
	cur := ""
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		instrs = append(instrs, cur+trimmed)
		cur = ""
	}
	last := -1
	for i, in := range instrs {
		if strings.EqualFold(strings.Fields(in)[0], "FROM") {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("Dockerfile: no FROM")
	}
	final := map[string][]string{} // instruction → arguments, final stage
	for _, in := range instrs[last:] {
		op, args, _ := strings.Cut(in, " ")
		final[strings.ToUpper(op)] = append(final[strings.ToUpper(op)], strings.TrimSpace(args))
	}
	lastOf := func(op string) string {
		v := final[op]
		if len(v) == 0 {
			return ""
		}
		return v[len(v)-1]
	}
	if got := lastOf("STOPSIGNAL"); got != "SIGTERM" {
		t.Errorf("STOPSIGNAL = %q, want SIGTERM", got)
	}
	if !slices.ContainsFunc(final["EXPOSE"], func(s string) bool {
		return slices.Contains(strings.Fields(s), strconv.Itoa(metricsPort))
	}) {
		t.Errorf("EXPOSE %v, want %d (METRICS_ADDR)", final["EXPOSE"], metricsPort)
	}
	user, _, _ := strings.Cut(lastOf("USER"), ":")
	if user == "" || user == "root" || user == "0" {
		t.Errorf("final stage USER = %q, want a non-root user", lastOf("USER"))
	}
	if got := lastOf("ENTRYPOINT"); got != `["/summarizer"]` {
		t.Errorf(`ENTRYPOINT = %s, want ["/summarizer"]`, got)
	}
	build := slices.IndexFunc(instrs[:last], func(in string) bool {
		return strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build")
	})
	if build < 0 {
		t.Fatal("Dockerfile: no RUN go build before the final stage")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/summarizer"} {
		if !strings.Contains(instrs[build], want) {
			t.Errorf("go build step %q lacks %s", instrs[build], want)
		}
	}
}
