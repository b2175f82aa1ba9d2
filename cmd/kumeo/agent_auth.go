package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
)

// Environment variables `kumeo agent` reads its NATS credentials from.
const (
	envNATSUser     = "NATS_USER"
	envNATSPassword = "NATS_PASSWORD"
	envNATSCreds    = "NATS_CREDS"
)

var errAuthEnv = errors.New("NATS credentials")

// agentAuth is how the agent authenticates to NATS.
type agentAuth struct {
	kind    string // for the log: "none", "user", "creds"; never a secret
	options []nats.Option
}

// natsAuth reads the credentials from the environment: a credentials file
// ($NATS_CREDS), else a user and password ($NATS_USER, $NATS_PASSWORD),
// else none.
func natsAuth(getenv func(string) string) (agentAuth, error) {
	creds, user, pass := getenv(envNATSCreds), getenv(envNATSUser), getenv(envNATSPassword)
	switch {
	case creds != "" && (user != "" || pass != ""):
		return agentAuth{}, fmt.Errorf("%w: $%s and $%s are both set; expected a credentials file or a user and password", errAuthEnv, envNATSCreds, envNATSUser)
	case creds != "":
		if _, err := os.Stat(creds); err != nil {
			return agentAuth{}, fmt.Errorf("%w: $%s: %w", errAuthEnv, envNATSCreds, err)
		}
		return agentAuth{kind: "creds", options: []nats.Option{nats.UserCredentials(creds)}}, nil
	case user != "" && pass == "":
		return agentAuth{}, fmt.Errorf("%w: $%s is set and $%s is empty; expected both", errAuthEnv, envNATSUser, envNATSPassword)
	case user == "" && pass != "":
		return agentAuth{}, fmt.Errorf("%w: $%s is set and $%s is empty; expected both", errAuthEnv, envNATSPassword, envNATSUser)
	case user != "":
		return agentAuth{kind: "user", options: []nats.Option{nats.UserInfo(user, pass)}}, nil
	}
	return agentAuth{kind: "none"}, nil
}
