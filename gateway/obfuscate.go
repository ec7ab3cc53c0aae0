package gateway

// Circuit obfuscation on submit (`submit --obfuscate`): the provider runs a
// keyed one-time-padded copy of the circuit (circuit/obfuscate); the key is
// sealed with the job and undoes the pad on the results before anyone sees
// them.

import (
	"fmt"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/circuit/obfuscate"
)

// obfuscateProgram replaces prog.Circuit with an obfuscated copy (the
// original moves to prog.Original), seals the key into job.SealedKey
// (place "job:<id>:key") and marks the job obfuscated. prog.Source becomes
// the obfuscated program's OpenQASM 3 text, so that a job resubmitted
// from its sealed circuit after a restart runs the same obfuscated circuit
// that the sealed key restores; job.CircuitSHA256 keeps the digest of what
// the user sent; restoreResult de-obfuscates its results.
//
// Errors: EINVALIDCIRCUIT for circuits with mid-circuit measurement, reset
// or if, which cannot be obfuscated.
func (s *Server) obfuscateProgram(prog *Program, job *qguard.Job) error {
	ob, key, err := obfuscate.Obfuscate(prog.Circuit, obfuscate.Options{})
	if err != nil {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "cannot obfuscate this circuit: %v", err)
	}
	kb, err := key.Marshal()
	if err != nil {
		return err
	}
	sealed, err := s.Sealer.Seal(kb, "job:"+job.ID+":key")
	if err != nil {
		return fmt.Errorf("seal obfuscation key: %w", err)
	}
	job.SealedKey, job.Obfuscated = sealed, true
	prog.Original, prog.Circuit = prog.Circuit, ob
	prog.Source = []byte(circuit.EmitQASM3(ob))
	return nil
}

// restoreResult de-obfuscates res in place with the job's sealed key; it
// does nothing for a job that was not obfuscated. It is what a result that
// comes back later (the runner's polling, a restart) goes through.
func (s *Server) restoreResult(job *qguard.Job, res *qguard.Result) error {
	if !job.Obfuscated || res == nil {
		return nil
	}
	kb, err := s.Sealer.Open(job.SealedKey, "job:"+job.ID+":key")
	if err != nil {
		return fmt.Errorf("open obfuscation key of %s: %w", job.ID, err)
	}
	key, err := obfuscate.UnmarshalKey(kb)
	if err != nil {
		return fmt.Errorf("obfuscation key of %s: %w", job.ID, err)
	}
	restoreWith(key, res)
	return nil
}

func restoreWith(key *obfuscate.Key, res *qguard.Result) {
	if res == nil {
		return
	}
	if res.Counts != nil {
		res.Counts = key.Restore(res.Counts)
	}
	if res.Probabilities != nil {
		res.Probabilities = key.RestoreProbabilities(res.Probabilities)
	}
}
