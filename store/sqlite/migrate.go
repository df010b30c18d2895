package sqlite

import (
	"context"
	"embed"
	"fmt"

	"newsbrief/store/schema"
)

// migrationFiles holds the schema, one numbered file per version:
// migrations/0001_init.sql, migrations/0002_....sql, ... Never edit a file
// that has shipped; add the next number instead.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version (see schema.Migration).
type migration = schema.Migration

// migrations is the embedded list, in order. Tests may swap it.
var migrations = schema.MustLoad(migrationFiles, "migrations", "sqlite")

// migrate brings the schema up to the last of migs. Each migration runs in
// its own IMMEDIATE transaction together with the PRAGMA user_version that
// records it, so a crash leaves the database at the previous version, never
// between versions, and two processes opening the file at once cannot apply
// the same migration twice.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	latest := migs[len(migs)-1].Version
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
		return fmt.Errorf("migration %s: %w", m.Name, err)
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
	if current >= m.Version {
		return nil // already applied
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	// PRAGMA takes no bound parameters; m.Version is an int.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
		return fmt.Errorf("migration %s: set schema version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}
