package rules

import "strconv"

// JSONField returns the path ("message", "request.headers.authorization",
// "env[2]") of the JSON string value that contains byte offset off of line,
// or "" when line is not a JSON object or off is not inside a string value.
// It is a small tolerant walker, run only for lines that have findings.
func JSONField(line []byte, off int) string {
	w := walker{b: line, off: off}
	w.skipSpace()
	if w.i >= len(w.b) || w.b[w.i] != '{' {
		return ""
	}
	w.value("")
	return w.found
}

type walker struct {
	b     []byte
	i     int
	off   int
	found string
	steps int
}

func (w *walker) skipSpace() {
	for w.i < len(w.b) && (w.b[w.i] == ' ' || w.b[w.i] == '\t' || w.b[w.i] == '\r' || w.b[w.i] == '\n') {
		w.i++
	}
}

// value parses one value at w.i; it returns false on malformed input or when
// the answer is known.
func (w *walker) value(path string) bool {
	if w.steps++; w.steps > 1<<16 || w.found != "" {
		return false
	}
	w.skipSpace()
	if w.i >= len(w.b) {
		return false
	}
	switch w.b[w.i] {
	case '{':
		w.i++
		for {
			w.skipSpace()
			if w.i < len(w.b) && w.b[w.i] == '}' {
				w.i++
				return true
			}
			if w.i >= len(w.b) || w.b[w.i] != '"' {
				return false
			}
			ks := w.i + 1
			if !w.str() {
				return false
			}
			key := string(w.b[ks : w.i-1])
			if w.off >= ks && w.off < w.i-1 { // a secret in a key: report the key's path
				w.found = join(path, key)
				return false
			}
			w.skipSpace()
			if w.i >= len(w.b) || w.b[w.i] != ':' {
				return false
			}
			w.i++
			if !w.value(join(path, key)) {
				return false
			}
			w.skipSpace()
			if w.i < len(w.b) && w.b[w.i] == ',' {
				w.i++
				continue
			}
			if w.i < len(w.b) && w.b[w.i] == '}' {
				w.i++
				return true
			}
			return false
		}
	case '[':
		w.i++
		for n := 0; ; n++ {
			w.skipSpace()
			if w.i < len(w.b) && w.b[w.i] == ']' {
				w.i++
				return true
			}
			if !w.value(path + "[" + strconv.Itoa(n) + "]") {
				return false
			}
			w.skipSpace()
			if w.i < len(w.b) && w.b[w.i] == ',' {
				w.i++
				continue
			}
			if w.i < len(w.b) && w.b[w.i] == ']' {
				w.i++
				return true
			}
			return false
		}
	case '"':
		s := w.i + 1
		if !w.str() {
			return false
		}
		if w.off >= s && w.off < w.i-1 {
			w.found = path
			return false
		}
		return true
	default: // number, true, false, null
		for w.i < len(w.b) && w.b[w.i] != ',' && w.b[w.i] != '}' && w.b[w.i] != ']' {
			w.i++
		}
		return true
	}
}

// str skips a string starting at the quote at w.i; w.i ends after the
// closing quote.
func (w *walker) str() bool {
	w.i++
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case '\\':
			w.i += 2
		case '"':
			w.i++
			return true
		default:
			w.i++
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
