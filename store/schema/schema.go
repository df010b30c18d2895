// Package schema reads a store backend's embedded migrations: one numbered
// SQL file per schema version. Each backend applies them its own way (its
// transactions, locks and version records differ); what a migration is and
// how the files are named is the same for all, so it is defined here once.
package schema

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one schema version: the SQL that takes a database from
// Version-1 to Version.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the NNNN_description.sql files of dir; their numbers must run
// 1, 2, 3, ... without gaps or repeats. Never edit a file that has shipped;
// add the next number instead.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("%s: name must be NNNN_description.sql", name)
		}
		if want := len(out) + 1; v != want {
			return nil, fmt.Errorf("%s: version %d, want %d (versions must run 1, 2, 3, ... without gaps or repeats)", name, v, want)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return out, nil
}

// MustLoad is Load for embedded files, where a bad name is a build defect
// (the backends' tests catch it): it panics naming what.
func MustLoad(fsys fs.FS, dir, what string) []Migration {
	m, err := Load(fsys, dir)
	if err != nil {
		panic("store: embedded " + what + " migrations: " + err.Error())
	}
	return m
}
