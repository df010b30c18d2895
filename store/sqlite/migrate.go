package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// migrationFiles holds the schema, one numbered file per version:
// migrations/0001_init.sql, migrations/0002_....sql, ... Never edit a file
// that has shipped; add the next number instead.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version: the SQL that takes the database from
// version-1 to version.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the embedded list, in order. Tests may swap it.
var migrations = mustLoadMigrations(migrationFiles, "migrations")

func mustLoadMigrations(fsys fs.FS, dir string) []migration {
	m, err := loadMigrations(fsys, dir)
	if err != nil {
		panic("store: embedded migrations: " + err.Error()) // a build defect, caught by the tests
	}
	return m
}

// loadMigrations reads NNNN_name.sql files from dir; their numbers must run
// 1, 2, 3, ... without gaps.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var out []migration
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
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return out, nil
}

// migrate brings the schema up to the last of migs. Each migration runs in
// its own IMMEDIATE transaction together with the PRAGMA user_version that
// records it, so a crash leaves the database at the previous version, never
// between versions, and two processes opening the file at once cannot apply
// the same migration twice.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	latest := migs[len(migs)-1].version
	for _, m := range migs {
		if err := s.applyMigration(ctx, m, latest); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migration, latest int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("%w: file has schema version %d, this program knows up to %d (was it written by a newer newsbrief?)",
			ErrSchemaTooNew, current, latest)
	}
	if current >= m.version {
		return nil // already applied
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	// PRAGMA takes no bound parameters; m.version is an int.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("migration %s: set schema version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}
