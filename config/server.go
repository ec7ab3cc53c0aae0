package config

import "time"

// Server configures the HTTP gateway.
type Server struct {
	Addr            string        `yaml:"addr"`
	TLSCert         string        `yaml:"tls_cert"`
	TLSKey          string        `yaml:"tls_key"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// RatePerMinute is each user's request limit.
	RatePerMinute int `yaml:"rate_per_minute"`
}

func defaultServer() Server {
	return Server{Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, ShutdownTimeout: 30 * time.Second, RatePerMinute: 600}
}

func (c *Server) validate() error { return nil }
