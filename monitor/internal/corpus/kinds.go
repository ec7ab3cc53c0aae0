package corpus

import (
	"fmt"
	"strings"
)

type planted struct {
	value string // what goes into the line
	label string // the span the scanner must report (usually value)
}

type tmpl func(g *Gen, secret string) string

type secretKind struct {
	rule string
	make func(g *Gen) (planted, []tmpl)
}

func same(v string) planted { return planted{value: v, label: v} }

// env renders NAME=secret in one of several realistic carriers.
func envTemplates(names ...string) []tmpl {
	var ts []tmpl
	for _, n := range names {
		ts = append(ts,
			func(g *Gen, s string) string { return g.plain("DEBUG", "ci", "+ export "+n+"="+s) },
			func(g *Gen, s string) string {
				return g.entry("debug", "runner", "environment dump", "env", map[string]string{n: s}, "user_id", g.user())
			},
			func(g *Gen, s string) string { return fmt.Sprintf("%s=%q", n, s) },
			func(g *Gen, s string) string {
				return g.entry("error", "job-worker", fmt.Sprintf("provider call failed with %s=%s set", n, s), "provider", g.provider())
			},
		)
	}
	return ts
}

func quoted(key string) []tmpl {
	return []tmpl{
		func(g *Gen, s string) string { return fmt.Sprintf("%s = %q", key, s) },
		func(g *Gen, s string) string { return fmt.Sprintf("  %q: %q,", key, s) },
		func(g *Gen, s string) string { return g.entry("warn", "config", "loaded settings", key, s) },
		func(g *Gen, s string) string { return fmt.Sprintf("%s: %s", key, s) },
	}
}

func join(lists ...[]tmpl) []tmpl {
	var out []tmpl
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var secretKinds = []secretKind{
	{"aws-access-key-id", func(g *Gen) (planted, []tmpl) {
		return same(g.pick("AKIA", "ASIA") + g.str(b32, 16)), join(envTemplates("AWS_ACCESS_KEY_ID"), quoted("aws_access_key_id"), []tmpl{
			func(g *Gen, s string) string {
				return g.entry("error", "braket-client", "AccessDenied for credential "+s+"/20261204/us-east-1/braket/aws4_request", "provider", "aws_braket")
			},
			func(g *Gen, s string) string {
				return fmt.Sprintf(`{"AccessKeyId": %q, "Expiration": "2026-12-04T18:00:00Z"}`, s)
			},
		})
	}},
	{"aws-secret-access-key", func(g *Gen) (planted, []tmpl) {
		return same(g.str(b64, 40)), join(envTemplates("AWS_SECRET_ACCESS_KEY"), quoted("aws_secret_access_key"), []tmpl{
			func(g *Gen, s string) string { return fmt.Sprintf(`{"SecretAccessKey": %q, "SessionToken": null}`, s) },
			func(g *Gen, s string) string {
				return g.entry("debug", "boto", "credentials resolved", "secret_key", s, "provider", "aws_braket")
			},
		})
	}},
	{"aws-session-token", func(g *Gen) (planted, []tmpl) {
		return same("IQoJb3JpZ2luX2Vj" + g.str(b64, 280+g.r.IntN(100))), join(envTemplates("AWS_SESSION_TOKEN"), quoted("aws_session_token"), []tmpl{
			func(g *Gen, s string) string { return "X-Amz-Security-Token: " + s },
		})
	}},
	{"ibm-cloud-api-key", func(g *Gen) (planted, []tmpl) {
		return same(g.str(b64url, 44)), join(envTemplates("QISKIT_IBM_TOKEN", "IBMCLOUD_API_KEY"), quoted("apikey"), []tmpl{
			func(g *Gen, s string) string {
				return fmt.Sprintf(`QiskitRuntimeService.save_account(channel="ibm_quantum_platform", token=%q, instance="crn:v1:bluemix:public:quantum-computing:us-east:a/0f1e:prod::")`, s)
			},
			func(g *Gen, s string) string {
				return g.entry("debug", "ibm-adapter", "POST https://iam.cloud.ibm.com/identity/token grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey="+s, "provider", "ibm_quantum")
			},
			func(g *Gen, s string) string {
				return fmt.Sprintf(`{"cell_type": "code", "source": ["service = QiskitRuntimeService(token='%s')\n"]}`, s)
			},
		})
	}},
	{"ibm-quantum-legacy-token", func(g *Gen) (planted, []tmpl) {
		return same(g.str(hexdig, 128)), []tmpl{
			func(g *Gen, s string) string { return fmt.Sprintf("IBMQ.save_account('%s')", s) },
			func(g *Gen, s string) string { return fmt.Sprintf("token = %s", s) },
			func(g *Gen, s string) string {
				return g.entry("info", "notebook", "IBMQ.enable_account('"+s+"')", "user_id", g.user())
			},
			func(g *Gen, s string) string { return g.plain("DEBUG", "qiskit", "QE_TOKEN="+s) },
		}
	}},
	{"ionq-api-key", func(g *Gen) (planted, []tmpl) {
		return same(g.str(alnum, 32)), join(envTemplates("IONQ_API_KEY"), []tmpl{
			func(g *Gen, s string) string { return "> Authorization: apiKey " + s },
			func(g *Gen, s string) string {
				return g.entry("debug", "ionq-adapter", "request", "method", "POST", "url", "https://api.ionq.co/v0.4/jobs",
					"headers", map[string]string{"Authorization": "apiKey " + s, "Content-Type": "application/json"})
			},
			func(g *Gen, s string) string {
				return fmt.Sprintf(`curl -H "Authorization: apiKey %s" https://api.ionq.co/v0.4/backends`, s)
			},
			func(g *Gen, s string) string { return fmt.Sprintf("ionq_api_key: %s", s) },
		})
	}},
	{"rigetti-qcs-token", func(g *Gen) (planted, []tmpl) {
		return same(g.str(b64url, 43)), []tmpl{
			func(g *Gen, s string) string { return fmt.Sprintf("refresh_token = %q", s) },
			func(g *Gen, s string) string { return fmt.Sprintf(`access_token = "%s"`, s) },
			func(g *Gen, s string) string {
				return g.entry("debug", "qcs-client", "token refreshed", "refresh_token", s, "provider", "rigetti")
			},
			func(g *Gen, s string) string {
				return g.plain("DEBUG", "pyquil", "POST https://auth.qcs.rigetti.com/oauth2/token refresh_token="+s)
			},
		}
	}},
	{"azure-quantum-key", func(g *Gen) (planted, []tmpl) {
		return same(g.str(b64, 86) + "=="), []tmpl{
			func(g *Gen, s string) string {
				return fmt.Sprintf("AZURE_QUANTUM_CONNECTION_STRING=SubscriptionId=%s;ResourceGroupName=rg-quantum;WorkspaceName=ws-prod;ApiKey=%s;QuantumEndpoint=https://eastus.quantum.azure.com/", g.uuid(), s)
			},
			func(g *Gen, s string) string {
				return g.entry("info", "azure-adapter", "connecting with ApiKey="+s+";WorkspaceName=ws-prod", "provider", "azure_quantum")
			},
			func(g *Gen, s string) string { return fmt.Sprintf("azure_quantum_key: %s", s) },
			func(g *Gen, s string) string { return g.plain("DEBUG", "ci", "+ export AZURE_QUANTUM_API_KEY="+s) },
		}
	}},
	{"azure-ad-client-secret", func(g *Gen) (planted, []tmpl) {
		return same(g.str(alnum, 3) + g.str(digits, 1) + "Q~" + g.str(alnum+"_~.-", 34)), join(envTemplates("AZURE_CLIENT_SECRET"), quoted("clientSecret"))
	}},
	{"qguard-api-key", func(g *Gen) (planted, []tmpl) {
		return same(g.pick("qg_", "qgs_") + g.str(b64url, 43)), join(envTemplates("QGUARD_TOKEN"), []tmpl{
			func(g *Gen, s string) string { return "Authorization: Bearer " + s },
			func(g *Gen, s string) string {
				return fmt.Sprintf(`curl -sS -H "Authorization: Bearer %s" -d @job.json http://127.0.0.1:8080/v1/jobs`, s)
			},
			func(g *Gen, s string) string {
				return g.entry("info", "notebook", "created API key for "+g.user()+": "+s, "user_id", g.user())
			},
		})
	}},
	{"slack-webhook", func(g *Gen) (planted, []tmpl) {
		u := "https://hooks.slack.com/services/T" + g.str(upper+digits, 8+g.r.IntN(3)) + "/B" + g.str(upper+digits, 10) + "/" + g.str(alnum, 24)
		return same(u), []tmpl{
			func(g *Gen, s string) string {
				return g.entry("error", "alerter", "POST "+s+" failed: 500", "attempt", 2)
			},
			func(g *Gen, s string) string { return fmt.Sprintf("SLACK_WEBHOOK_URL=%s", s) },
			func(g *Gen, s string) string { return fmt.Sprintf(`  webhook_url: "%s"`, s) },
		}
	}},
	{"slack-token", func(g *Gen) (planted, []tmpl) {
		t := g.pick("xoxb-", "xoxp-") + g.str(digits, 12) + "-" + g.str(digits, 13) + "-" + g.str(alnum, 24)
		return same(t), join(envTemplates("SLACK_BOT_TOKEN"), []tmpl{
			func(g *Gen, s string) string { return "Authorization: Bearer " + s },
		})
	}},
	{"discord-webhook", func(g *Gen) (planted, []tmpl) {
		u := "https://discord.com/api/webhooks/" + g.str(digits, 18) + "/" + g.str(b64url, 68)
		return same(u), []tmpl{
			func(g *Gen, s string) string {
				return g.entry("warn", "alerter", "discord notify "+s+" returned 429", "retry_after", 2)
			},
			func(g *Gen, s string) string { return "DISCORD_WEBHOOK=" + s },
		}
	}},
	{"github-token", func(g *Gen) (planted, []tmpl) {
		t := g.pick("ghp_", "gho_", "ghs_") + g.str(alnum, 36)
		if g.r.IntN(4) == 0 {
			t = "github_pat_" + g.str(alnum+"_", 82)
		}
		return same(t), join(envTemplates("GITHUB_TOKEN", "GH_TOKEN"), []tmpl{
			func(g *Gen, s string) string {
				return fmt.Sprintf("remote: https://x-access-token:%s@github.com/acme/qml-models.git", s)
			},
		})
	}},
	{"gitlab-token", func(g *Gen) (planted, []tmpl) {
		return same(g.pick("glpat-", "gldt-") + g.str(b64url, 20)), join(envTemplates("GITLAB_TOKEN", "CI_JOB_PASSWORD"), []tmpl{
			func(g *Gen, s string) string { return "PRIVATE-TOKEN: " + s },
		})
	}},
	{"private-key", func(g *Gen) (planted, []tmpl) {
		kind := g.pick("RSA ", "EC ", "OPENSSH ", "")
		lines := []string{"MII" + g.str(b64, 61)}
		for i := 0; i < 3; i++ {
			lines = append(lines, g.str(b64, 64))
		}
		pem := "-----BEGIN " + kind + "PRIVATE KEY-----\n" + strings.Join(lines, "\n") + "\n-----END " + kind + "PRIVATE KEY-----\n"
		if g.r.IntN(4) == 0 { // plain text: the header line alone
			h := "-----BEGIN " + kind + "PRIVATE KEY-----"
			return planted{value: h, label: h}, []tmpl{func(g *Gen, s string) string { return s }}
		}
		return planted{value: pem, label: lines[0]}, []tmpl{
			func(g *Gen, s string) string {
				return jsonLine("type", "service_account", "private_key_id", g.str(hexdig, 40), "private_key", s)
			},
			func(g *Gen, s string) string { return g.entry("debug", "tls", "loaded key material", "pem", s) },
		}
	}},
	{"generic-secret", func(g *Gen) (planted, []tmpl) {
		return same(g.str(alnum, 14) + g.str("!#%*+-.:?@^_~", 2) + g.str(alnum, 4+g.r.IntN(8))), join(envTemplates("DB_PASSWORD", "JUPYTER_TOKEN", "MLFLOW_TRACKING_PASSWORD"), []tmpl{
			func(g *Gen, s string) string { return fmt.Sprintf("postgres password: %s", s) },
			func(g *Gen, s string) string {
				return g.entry("debug", "db", "connect", "password", s, "host", "db.internal")
			},
			func(g *Gen, s string) string { return fmt.Sprintf(`client_secret=%s&grant_type=client_credentials`, s) },
		})
	}},
	{"generic-bearer-token", func(g *Gen) (planted, []tmpl) {
		jwt := "eyJhbGciOiJSUzI1NiIsImtpZCI6I" + g.str(b64url, 20) + ".eyJ" + g.str(b64url, 120) + "." + g.str(b64url, 86)
		return same(jwt), []tmpl{
			func(g *Gen, s string) string { return "Authorization: Bearer " + s },
			func(g *Gen, s string) string {
				return g.entry("debug", "ibm-adapter", "GET https://quantum.cloud.ibm.com/api/v1/backends", "headers", map[string]string{"authorization": "Bearer " + s})
			},
		}
	}},
}
