// Command auditgen appends N synthetic records to the audit log of a qguard
// home (keys from its vault, as the gateway does), to time
// `qguard audit verify` and `qguard audit export` on a big log:
//
//	qguard init --key-source file
//	go run ./bench/auditgen -n 100000
//	time qguard audit verify
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/sqlite"
	"github.com/qguard/qguard/vault"
)

func main() {
	n := flag.Int("n", 100_000, "records to append")
	workers := flag.Int("workers", 8, "concurrent appenders")
	home := flag.String("home", os.Getenv("QGUARD_HOME"), "qguard home")
	flag.Parse()
	if err := run(context.Background(), *home, *n, *workers); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, home string, n, workers int) error {
	cfg, err := config.Load(filepath.Join(home, config.FileName))
	if err != nil {
		return err
	}
	v, err := vault.Open(ctx, home, cfg.Vault)
	if err != nil {
		return err
	}
	seed, err := v.InternalKey(ctx, "audit-signing")
	if err != nil {
		return err
	}
	hmacKey, err := v.InternalKey(ctx, "audit-hmac")
	if err != nil {
		return err
	}
	signer, verifier, err := audit.KeysFromSeed("qguard-audit", seed)
	if err != nil {
		return err
	}
	vkey, err := audit.VerifierKey("qguard-audit", seed)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "audit.pub"), []byte(vkey+"\n"), 0o600); err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(home, "qguard.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	l := audit.New(db, signer, verifier, hmacKey, audit.OptionsFromConfig(cfg.Audit))
	runCtx, stop := context.WithCancel(ctx)
	go l.Run(runCtx)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				_, err := l.Append(ctx, qguard.AuditRecord{
					Actor: fmt.Sprintf("user%d", i%50), Action: "job.submit", Resource: fmt.Sprintf("device:local:%d", i%7),
					Decision: []string{qguard.DecisionAllow, qguard.DecisionDeny}[i%2], Reason: "max_shots",
					RequestID: fmt.Sprintf("req-%08d", i), Cost: 0.01,
					Details: map[string]string{"shots": "1000", "secret:token": fmt.Sprintf("tok-%d", i)},
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	stop()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := l.Close(ctx); err != nil {
		return err
	}
	fmt.Printf("appended %d records in %v (%.0f records/s, %d appenders)\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), workers)
	return nil
}
