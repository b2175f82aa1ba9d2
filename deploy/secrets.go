package deploy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnnotationSecretHash is on the pod template of every workload that reads
// the workflow's env Secret: a keyed digest of the Secret's values, so a
// changed value rolls those pods. The key is a random salt kept in the
// Secret itself (SecretKeySalt), so the digest cannot be used to guess a
// value.
const AnnotationSecretHash = "kumeo.dev/secret-hash"

// SecretKeySalt is the key of the env Secret holding the digest's salt.
const SecretKeySalt = "kumeo.hash-salt"

// liveSecret returns one key of a Secret in the cluster, or "" when the
// Secret or the key does not exist yet.
func (c *Cluster) liveSecret(ctx context.Context, ns, name, key string) (string, error) {
	s, err := c.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", c.clusterError("get", "secret", ns, name, err)
	}
	return string(s.Data[key]), nil
}

// randomSecret is 32 random bytes in hex.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// natsPassword keeps the password of the workflow's NATS across deploys:
// the cluster's, or a new random one for a first deploy.
func (c *Cluster) natsPassword(ctx context.Context, ns, base string) (string, error) {
	pw, err := c.liveSecret(ctx, ns, NATSSecretName(base), SecretKeyNATSPassword)
	if err != nil || pw != "" {
		return pw, err
	}
	return randomSecret(), nil
}

// stampSecretHash salts the env Secret (keeping the cluster's salt) and
// annotates every workload reading it with the keyed digest of its values.
func (c *Cluster) stampSecretHash(ctx context.Context, objs []Object) error {
	var env *corev1.Secret
	for _, o := range objs {
		if s, ok := o.(*corev1.Secret); ok && s.Labels[LabelComponent] == "env" {
			env = s
		}
	}
	if env == nil {
		return nil
	}
	salt, err := c.liveSecret(ctx, env.Namespace, env.Name, SecretKeySalt)
	if err != nil {
		return err
	}
	if salt == "" {
		salt = randomSecret()
	}
	mac := hmac.New(sha256.New, []byte(salt))
	keys := make([]string, 0, len(env.Data))
	for k := range env.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		mac.Write([]byte(k + "\x00"))
		mac.Write(env.Data[k])
		mac.Write([]byte{0})
	}
	env.Data[SecretKeySalt] = []byte(salt)
	sum := hex.EncodeToString(mac.Sum(nil))[:16]
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok && readsSecret(d.Spec.Template.Spec, env.Name) {
			if d.Spec.Template.Annotations == nil {
				d.Spec.Template.Annotations = map[string]string{}
			}
			d.Spec.Template.Annotations[AnnotationSecretHash] = sum
		}
	}
	return nil
}

func readsSecret(pod corev1.PodSpec, name string) bool {
	for _, c := range pod.Containers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == name {
				return true
			}
		}
	}
	return false
}
