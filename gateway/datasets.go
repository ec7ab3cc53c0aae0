package gateway

// Datasets: training data and model parameters kept sealed by the gateway,
// each with a classification that policy checks on every access
// (training_data read / write / delete). Every access, allowed or denied,
// is audited.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"unicode"

	"github.com/qguard/qguard"
)

var classifications = map[string]bool{
	qguard.ClassificationPublic: true, qguard.ClassificationInternal: true,
	qguard.ClassificationConfidential: true, qguard.ClassificationRestricted: true,
}

// blobStore returns the store's blob part.
func (s *Server) blobStore() (qguard.BlobStore, error) {
	bs, ok := s.Store.(qguard.BlobStore)
	if !ok {
		return nil, errors.New("the store does not keep datasets or library circuits")
	}
	return bs, nil
}

// blobAccess decides an action on a blob's resource class, audits the
// decision and returns EPOLICYDENIED when it is a denial.
func (s *Server) blobAccess(ctx context.Context, action, auditAction, resource, classification, target string, details map[string]string) error {
	c := callerOf(ctx)
	dec := s.Policy.Decide(qguard.Request{
		User: c.user.Name, Role: c.user.Role, Project: c.user.Project,
		Resource: resource, Action: action, Classification: classification,
	})
	rec := qguard.AuditRecord{
		Time: s.now(), Actor: c.user.Name, Action: auditAction, Resource: target, RequestID: requestID(ctx),
		Decision: qguard.DecisionAllow, Reason: dec.Reason, Details: details,
	}
	if !dec.Allowed {
		rec.Decision = qguard.DecisionDeny
	}
	if err := s.audit(ctx, rec); err != nil {
		return err
	}
	if !dec.Allowed {
		return qguard.Errorf(qguard.EPOLICYDENIED, "%s", dec.Reason)
	}
	return nil
}

// checkName accepts display names without control characters.
func checkName(name string) error {
	if name == "" || len(name) > 200 {
		return qguard.Errorf(qguard.EINVALID, "name must be 1 to 200 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '/' || r == '\\' {
			return qguard.Errorf(qguard.EINVALID, "name must not contain control characters or slashes")
		}
	}
	return nil
}

func checkClassification(c string) error {
	if !classifications[c] {
		return qguard.Errorf(qguard.EINVALID, "classification must be public, internal, confidential or restricted, not %q", c)
	}
	return nil
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// uploadDataset is POST /v1/datasets?name=N&classification=C with the
// raw content as body.
func (s *Server) uploadDataset(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	name, class := q.Get("name"), q.Get("classification")
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkClassification(class); err != nil {
		return err
	}
	bs, err := s.blobStore()
	if err != nil {
		return err
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	b := &qguard.Blob{
		ID: newID("ds_"), Kind: qguard.BlobDataset, Name: name, Owner: callerOf(ctx).user.Name,
		Classification: class, SHA256: sha256Of(data), Size: int64(len(data)), CreatedAt: s.now(),
	}
	details := map[string]string{"name": name, "classification": class, "sha256": b.SHA256, "size": strconv.FormatInt(b.Size, 10)}
	if err := s.blobAccess(ctx, qguard.ActionWrite, "dataset.upload", qguard.ClassTrainingData, class, "dataset:"+b.ID, details); err != nil {
		return err
	}
	if b.Sealed, err = s.Sealer.Seal(data, "dataset:"+b.ID); err != nil {
		return err
	}
	if err := bs.PutBlob(ctx, b); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

// listDatasets is GET /v1/datasets: the datasets whose classification the
// caller may read (metadata only).
func (s *Server) listDatasets(w http.ResponseWriter, r *http.Request) error {
	return s.listBlobs(w, r, qguard.BlobDataset, qguard.ClassTrainingData, "dataset.list")
}

func (s *Server) listBlobs(w http.ResponseWriter, r *http.Request, kind, resource, auditAction string) error {
	ctx := r.Context()
	c := callerOf(ctx)
	bs, err := s.blobStore()
	if err != nil {
		return err
	}
	all, err := bs.ListBlobs(ctx, kind)
	if err != nil {
		return err
	}
	out := []*qguard.Blob{}
	runner := kind == qguard.BlobCircuit && s.mayExecuteSomewhere(c) // may run library circuits by reference
	for _, b := range all {
		dec := s.Policy.Decide(qguard.Request{User: c.user.Name, Role: c.user.Role, Project: c.user.Project,
			Resource: resource, Action: qguard.ActionRead, Classification: b.Classification})
		if dec.Allowed || runner {
			out = append(out, b)
		}
	}
	rec := qguard.AuditRecord{Time: s.now(), Actor: c.user.Name, Action: auditAction, Resource: kind, RequestID: requestID(ctx),
		Decision: qguard.DecisionAllow, Details: map[string]string{"count": strconv.Itoa(len(out))}}
	if err := s.audit(ctx, rec); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{kind + "s": out})
	return nil
}

// getDataset is GET /v1/datasets/{id}: the content, when policy lets the
// caller's role read training data of its classification.
func (s *Server) getDataset(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.loadBlob(ctx, r.PathValue("id"), qguard.BlobDataset)
	if err != nil {
		return err
	}
	details := map[string]string{"name": b.Name, "classification": b.Classification, "sha256": b.SHA256}
	if err := s.blobAccess(ctx, qguard.ActionRead, "dataset.download", qguard.ClassTrainingData, b.Classification, "dataset:"+b.ID, details); err != nil {
		return err
	}
	data, err := s.openBlob(b, "dataset:")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": b.Name}))
	h.Set("X-Qguard-Sha256", b.SHA256)
	h.Set("X-Qguard-Classification", b.Classification)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}

// deleteDataset is DELETE /v1/datasets/{id} (training_data delete: admins
// in the default policy).
func (s *Server) deleteDataset(w http.ResponseWriter, r *http.Request) error {
	return s.deleteBlob(w, r, qguard.BlobDataset, qguard.ClassTrainingData, "dataset")
}

func (s *Server) deleteBlob(w http.ResponseWriter, r *http.Request, kind, resource, prefix string) error {
	ctx := r.Context()
	b, err := s.loadBlob(ctx, r.PathValue("id"), kind)
	if err != nil {
		return err
	}
	details := map[string]string{"name": b.Name, "classification": b.Classification, "sha256": b.SHA256}
	if err := s.blobAccess(ctx, qguard.ActionDelete, prefix+".delete", resource, b.Classification, prefix+":"+b.ID, details); err != nil {
		return err
	}
	bs, err := s.blobStore()
	if err != nil {
		return err
	}
	if err := bs.DeleteBlob(ctx, b.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// loadBlob fetches a blob of kind; another kind's id is "not found".
func (s *Server) loadBlob(ctx context.Context, id, kind string) (*qguard.Blob, error) {
	bs, err := s.blobStore()
	if err != nil {
		return nil, err
	}
	b, err := bs.GetBlob(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.Kind != kind {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "%s not found", id)
	}
	return b, nil
}

// openBlob unseals a blob and checks it against its recorded digest.
func (s *Server) openBlob(b *qguard.Blob, prefix string) ([]byte, error) {
	data, err := s.Sealer.Open(b.Sealed, prefix+b.ID)
	if err != nil {
		return nil, err
	}
	want, _ := hex.DecodeString(b.SHA256)
	sum := sha256.Sum256(data)
	if subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return nil, errors.New("blob " + b.ID + " does not match its recorded sha256")
	}
	return data, nil
}

// protectRoutes registers the dataset and library endpoints with the
// routes() helper handle(pattern, handler, authenticated).
func (s *Server) protectRoutes(handle func(pattern string, h func(http.ResponseWriter, *http.Request) error, authed bool)) {
	handle("POST /v1/datasets", s.uploadDataset, true)
	handle("GET /v1/datasets", s.listDatasets, true)
	handle("GET /v1/datasets/{id}", s.getDataset, true)
	handle("DELETE /v1/datasets/{id}", s.deleteDataset, true)
	handle("POST /v1/library", s.uploadCircuit, true)
	handle("GET /v1/library", s.listCircuits, true)
	handle("GET /v1/library/{id}", s.getCircuit, true)
	handle("DELETE /v1/library/{id}", s.deleteCircuit, true)
	handle("POST /v1/library/{id}/run", s.runCircuit, true)
}
