package deploy

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	args := []string{"agent", "--workflow", workflowDir + "/" + fileBase(r.f), "--agent", a.ID, "--nats", r.natsURL()}
	if len(r.f.Workflows()) > 1 {
		args = append(args, "--name", r.w.Name)
	}
	pod := corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:         "agent",
			Image:        r.s.image,
			Args:         args,
			Env:          env,
			Resources:    res,
			VolumeMounts: []corev1.VolumeMount{{Name: "workflow", MountPath: workflowDir, ReadOnly: true}},
		}},
		Volumes: []corev1.Volume{{Name: "workflow", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.configMapName()}}}}},
	}
	replicas := r.s.minReplicas
	tm := metav1.ObjectMeta{Labels: m.Labels, Annotations: map[string]string{AnnotationHash: r.agentHash(a, pod)}}
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelWorkflow: r.base, LabelAgent: dnsName(a.ID)}},
			Template: corev1.PodTemplateSpec{ObjectMeta: tm, Spec: pod},
		}}, nil
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
	args := []string{"--jetstream", "--store_dir", "/data", "--port", "4222", "--http_port", "8222"}
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
		Env:          []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
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
