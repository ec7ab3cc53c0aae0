package gateway

// The algorithm library: proprietary circuits kept sealed by the gateway.
// Roles with algorithm_library read may read a circuit's source; roles
// allowed to execute on a device may run a library circuit by reference,
// binding its input parameters at submit, without ever seeing the source
// (execute-only access). Every access is audited.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/qguard/qguard"
)

// LibraryUpload is the body of POST /v1/library.
type LibraryUpload struct {
	Name           string `json:"name"`
	QASM           string `json:"qasm"`
	Classification string `json:"classification,omitempty"` // default internal
}

// LibraryCircuit is a library entry as the API shows it; QASM only to
// roles that may read the library.
type LibraryCircuit struct {
	*qguard.Blob
	Inputs []string `json:"inputs"` // OpenQASM 3 input parameters to bind at run time
	QASM   string   `json:"qasm,omitempty"`
}

// LibraryRun is the body of POST /v1/library/{id}/run: a job submission
// that names a library circuit instead of carrying QASM.
type LibraryRun struct {
	Device         string             `json:"device"`
	Shots          int                `json:"shots"`
	Inputs         map[string]float64 `json:"inputs,omitempty"`
	Classification string             `json:"classification,omitempty"`
	Project        string             `json:"project,omitempty"`
	Obfuscate      bool               `json:"obfuscate,omitempty"`
	Seed           *uint64            `json:"seed,omitempty"`
}

var inputDecl = regexp.MustCompile(`(?m)\binput\s+(?:float|angle)(?:\s*\[\s*\d+\s*\])?\s+([A-Za-z_][A-Za-z0-9_]*)\s*;`)

// inputNames lists the input parameters a circuit declares.
func inputNames(src []byte) []string {
	names := []string{}
	for _, m := range inputDecl.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

// uploadCircuit is POST /v1/library (algorithm_library write).
func (s *Server) uploadCircuit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req LibraryUpload
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Classification == "" {
		req.Classification = qguard.ClassificationInternal
	}
	if err := checkName(req.Name); err != nil {
		return err
	}
	if err := checkClassification(req.Classification); err != nil {
		return err
	}
	src := []byte(req.QASM)
	// Validate with every input bound to 0: the values come at run time.
	inputs := inputNames(src)
	zero := map[string]float64{}
	for _, n := range inputs {
		zero[n] = 0
	}
	if _, err := s.parse(src, zero); err != nil {
		return err
	}
	bs, err := s.blobStore()
	if err != nil {
		return err
	}
	b := &qguard.Blob{
		ID: newID("lib_"), Kind: qguard.BlobCircuit, Name: req.Name, Owner: callerOf(ctx).user.Name,
		Classification: req.Classification, SHA256: sha256Of(src), Size: int64(len(src)), CreatedAt: s.now(),
	}
	details := map[string]string{"name": b.Name, "classification": b.Classification, "sha256": b.SHA256}
	if err := s.blobAccess(ctx, qguard.ActionWrite, "library.upload", qguard.ClassAlgorithmLibrary, b.Classification, "library:"+b.ID, details); err != nil {
		return err
	}
	if b.Sealed, err = s.Sealer.Seal(src, "library:"+b.ID); err != nil {
		return err
	}
	if err := bs.PutBlob(ctx, b); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, LibraryCircuit{Blob: b, Inputs: inputs})
	return nil
}

// listCircuits is GET /v1/library: names and digests, never sources, for
// roles that may read the library or execute somewhere.
func (s *Server) listCircuits(w http.ResponseWriter, r *http.Request) error {
	return s.listBlobs(w, r, qguard.BlobCircuit, qguard.ClassAlgorithmLibrary, "library.list")
}

// mayExecuteSomewhere reports whether the caller's role may execute on some
// device class, which makes library circuits runnable by reference.
func (s *Server) mayExecuteSomewhere(c *caller) bool {
	for _, class := range []string{qguard.ClassSimulator, qguard.ClassQPUSmall, qguard.ClassQPUMedium, qguard.ClassQPULarge} {
		if s.Policy.Decide(qguard.Request{User: c.user.Name, Role: c.user.Role, Project: c.user.Project, Resource: class, Action: qguard.ActionExecute}).Allowed {
			return true
		}
	}
	return false
}

// getCircuit is GET /v1/library/{id}: the source, for algorithm_library
// read.
func (s *Server) getCircuit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.loadBlob(ctx, r.PathValue("id"), qguard.BlobCircuit)
	if err != nil {
		return err
	}
	details := map[string]string{"name": b.Name, "classification": b.Classification, "sha256": b.SHA256}
	if err := s.blobAccess(ctx, qguard.ActionRead, "library.read", qguard.ClassAlgorithmLibrary, b.Classification, "library:"+b.ID, details); err != nil {
		return err
	}
	src, err := s.openBlob(b, "library:")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, LibraryCircuit{Blob: b, Inputs: inputNames(src), QASM: string(src)})
	return nil
}

// deleteCircuit is DELETE /v1/library/{id} (algorithm_library delete).
func (s *Server) deleteCircuit(w http.ResponseWriter, r *http.Request) error {
	return s.deleteBlob(w, r, qguard.BlobCircuit, qguard.ClassAlgorithmLibrary, "library")
}

// runCircuit is POST /v1/library/{id}/run: the circuit is submitted as a
// job with the caller's parameters, through the same policy, budget and
// audit path as POST /v1/jobs. The caller never receives the source; the
// access by reference is audited as library.run before the job's own
// decision.
func (s *Server) runCircuit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := callerOf(ctx)
	var req LibraryRun
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	b, err := s.loadBlob(ctx, r.PathValue("id"), qguard.BlobCircuit)
	if err != nil {
		return err
	}
	rec := qguard.AuditRecord{
		Time: s.now(), Actor: c.user.Name, Action: "library.run", Resource: "library:" + b.ID, RequestID: requestID(ctx),
		Decision: qguard.DecisionAllow, Reason: "execute by reference; the job submission is decided next",
		Details: map[string]string{"name": b.Name, "sha256": b.SHA256, "device": req.Device, "inputs": strconv.Itoa(len(req.Inputs))},
	}
	if err := s.audit(ctx, rec); err != nil {
		return err
	}
	src, err := s.openBlob(b, "library:")
	if err != nil {
		return err
	}
	body, err := json.Marshal(SubmitRequest{
		Device: req.Device, Shots: req.Shots, QASM: string(src), Inputs: req.Inputs,
		Classification: req.Classification, Project: req.Project, Obfuscate: req.Obfuscate, Seed: req.Seed,
	})
	if err != nil {
		return err
	}
	sub := r.Clone(ctx)
	sub.Body = io.NopCloser(bytes.NewReader(body))
	sub.ContentLength = int64(len(body))
	if err := s.submitJob(w, sub); err != nil {
		return hideSource(err)
	}
	return nil
}

// hideSource keeps circuit errors of an execute-only run from quoting the
// source: only the error code and a generic message reach the caller.
func hideSource(err error) error {
	if qguard.ErrorCode(err) == qguard.EINVALIDCIRCUIT {
		return qguard.Errorf(qguard.EINVALIDCIRCUIT, "the library circuit does not run with these inputs or on this device: check the inputs listed by GET /v1/library")
	}
	return err
}
