package deploy

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kumeo/kumeo/dsl"
)

const workflowDir = "/etc/kumeo"

func (r *renderer) deployment(a *dsl.Agent) (Object, error) {
	res, err := r.s.agentResources(r.f, a)
	if err != nil {
		return nil, err
	}
	name := r.base + "-" + dnsName(a.ID)
	m := r.meta(name, "agent")
	m.Labels[LabelAgent] = dnsName(a.ID)
	var env []corev1.EnvVar
	for _, k := range r.s.env {
		env = append(env, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.secretName()}, Key: k}}})
	}
	c := r.agentContainer("agent", append(r.agentArgs(), "--agent", a.ID), append(env, r.natsEnv()...))
	c.Resources = res
	pod := corev1.PodSpec{Containers: []corev1.Container{c}, Volumes: []corev1.Volume{r.workflowVolume(a)}}
	// With an autoscaler the replica count is its to set: a deploy that
	// applied one would scale the agent back down every time.
	var replicas *int32
	if r.s.maxReplicas == 0 {
		replicas = &r.s.minReplicas
	}
	tm := metav1.ObjectMeta{Labels: m.Labels, Annotations: r.podAnnotations(r.agentHash(a, pod))}
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelWorkflow: r.base, LabelAgent: dnsName(a.ID)}},
			Template: corev1.PodTemplateSpec{ObjectMeta: tm, Spec: pod},
		}}, nil
}

// agentArgs are the `kumeo agent` arguments every container shares.
func (r *renderer) agentArgs() []string {
	args := []string{"agent", "--workflow", workflowDir + "/" + fileBase(r.f), "--nats", r.natsURL()}
	if len(r.f.Workflows()) > 1 {
		args = append(args, "--name", r.w.Name)
	}
	return args
}

// agentContainer is a `kumeo agent` container with its metrics port,
// probes and the workflow mounted.
func (r *renderer) agentContainer(name string, args []string, env []corev1.EnvVar) corev1.Container {
	probe := func(path string, period int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(PortNameMetrics)}},
			PeriodSeconds: period, FailureThreshold: 3}
	}
	return corev1.Container{
		Name:           name,
		Image:          r.s.image,
		Args:           args,
		Env:            env,
		Ports:          []corev1.ContainerPort{{Name: PortNameMetrics, ContainerPort: MetricsPort}},
		ReadinessProbe: probe(PathReady, 5),
		LivenessProbe:  probe(PathHealth, 10),
		VolumeMounts:   []corev1.VolumeMount{{Name: "workflow", MountPath: workflowDir, ReadOnly: true}},
	}
}

// podAnnotations are the annotations of an agent or endpoints pod: its
// content hash and where Prometheus scrapes it.
func (r *renderer) podAnnotations(hash string) map[string]string {
	return map[string]string{
		AnnotationHash:   hash,
		AnnotationScrape: "true",
		AnnotationPort:   strconv.Itoa(MetricsPort),
		AnnotationPath:   PathMetrics,
	}
}

// hasEndpoints reports whether the workflow has sources or targets that
// need a process of their own: every kind but NATS, which agents read and
// publish directly.
func (r *renderer) hasEndpoints() bool {
	for _, e := range append(append([]*dsl.Endpoint(nil), r.w.Sources...), r.w.Targets...) {
		if e.Type != dsl.TypeNATS {
			return true
		}
	}
	return false
}

// httpSources reports whether the workflow has HTTP sources, which the
// endpoints Service exposes.
func (r *renderer) httpSources() bool {
	for _, e := range r.w.Sources {
		if e.Type == dsl.TypeHTTP {
			return true
		}
	}
	return false
}

// EndpointsName is the name of the Deployment running a workflow's sources
// and targets, and of the Service in front of its HTTP sources.
func EndpointsName(workflowDNS string) string { return workflowDNS + "-endpoints" }

func (r *renderer) endpointsLabels() map[string]string {
	return map[string]string{LabelWorkflow: r.base, LabelComponent: "endpoints"}
}

// endpointsDeployment runs the sources and targets exactly once: one
// replica, replaced (not rolled) on change so two never run together.
func (r *renderer) endpointsDeployment() Object {
	m := r.meta(EndpointsName(r.base), "endpoints")
	args := append(r.agentArgs(), "--endpoints")
	if r.httpSources() {
		args = append(args, "--http-listen", ":"+strconv.Itoa(HTTPPort))
	}
	var env []corev1.EnvVar
	for _, k := range r.s.env {
		env = append(env, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.secretName()}, Key: k}}})
	}
	c := r.agentContainer("endpoints", args, append(env, r.natsEnv()...))
	if r.httpSources() {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: PortNameHTTP, ContainerPort: HTTPPort})
	}
	c.Resources = r.s.resources[classDefault]
	pod := corev1.PodSpec{Containers: []corev1.Container{c}, Volumes: []corev1.Volume{r.workflowVolume(nil)}}
	one := int32(1)
	tm := metav1.ObjectMeta{Labels: m.Labels, Annotations: r.podAnnotations(r.agentHash(nil, pod))}
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Selector: &metav1.LabelSelector{MatchLabels: r.endpointsLabels()},
			Template: corev1.PodTemplateSpec{ObjectMeta: tm, Spec: pod},
		}}
}

// endpointsService gives the HTTP sources a stable in-cluster address.
func (r *renderer) endpointsService() Object {
	return &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: r.meta(EndpointsName(r.base), "endpoints"),
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: r.endpointsLabels(),
			Ports: []corev1.ServicePort{{Name: PortNameHTTP, Port: HTTPPort, TargetPort: intstr.FromString(PortNameHTTP)}}}}
}

func (r *renderer) hpa(d Object) Object {
	m := r.meta(d.GetName(), "autoscaler")
	m.Labels[LabelAgent] = d.GetLabels()[LabelAgent]
	min, target := r.s.minReplicas, r.s.targetCPU
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: m,
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: d.GetName()},
			MinReplicas:    &min,
			MaxReplicas:    r.s.maxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target}}}},
		}}
}

func (r *renderer) natsLabels() map[string]string {
	return map[string]string{LabelWorkflow: r.base, LabelComponent: "nats"}
}

func (r *renderer) natsStatefulSet() Object {
	replicas := r.s.natsReplica
	// Kubernetes expands $(NATS_PASSWORD) from the container's env, which
	// refers to the Secret: the password is never in the pod spec.
	args := []string{"--jetstream", "--store_dir", "/data", "--port", "4222", "--http_port", "8222",
		"--user", NATSUser, "--pass", "$(" + EnvNATSPassword + ")"}
	if replicas > 1 {
		routes := ""
		for i := int32(0); i < replicas; i++ {
			if i > 0 {
				routes += ","
			}
			routes += "nats://nats-" + strconv.Itoa(int(i)) + ".nats." + r.s.namespace + ".svc:6222"
		}
		args = append(args, "--cluster_name", r.base, "--cluster", "nats://0.0.0.0:6222", "--routes", routes, "--server_name", "$(POD_NAME)")
	}
	c := corev1.Container{Name: "nats", Image: "nats:2.12-alpine", Args: args,
		Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			r.natsEnv()[1]},
		Ports:        []corev1.ContainerPort{{Name: "client", ContainerPort: 4222}, {Name: "cluster", ContainerPort: 6222}, {Name: "monitor", ContainerPort: 8222}},
		VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}
	m := r.meta("nats", "nats")
	return &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: m,
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			ServiceName: "nats",
			Selector:    &metav1.LabelSelector{MatchLabels: r.natsLabels()},
			Template:    corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: m.Labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}},
		}}
}

func (r *renderer) natsService() Object {
	return &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: r.meta("nats", "nats"),
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: r.natsLabels(), PublishNotReadyAddresses: true,
			Ports: []corev1.ServicePort{{Name: "client", Port: 4222}, {Name: "cluster", Port: 6222}, {Name: "monitor", Port: 8222}}}}
}
