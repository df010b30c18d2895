package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
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

// applyMigration runs m with foreign keys off, as SQLite's procedure for
// changing a table asks: a table with rows referring to it is rebuilt by
// copying it and dropping the old one, which with foreign keys on would
// delete the rows referring to it. The keys are checked before the
// commit (PRAGMA foreign_key_check), so a migration cannot leave a
// dangling reference.
func (s *Store) applyMigration(ctx context.Context, m migration, latest int) error {
	conn, err := s.w.Conn(ctx) // the writer's only connection
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	defer conn.Close()
	// Outside a transaction: inside one the pragma does nothing.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("migration %s: foreign keys off: %w", m.Name, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	tx, err := conn.BeginTx(ctx, nil)
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
	var table string
	var row, parent, fkid any
	switch err := tx.QueryRowContext(ctx, "PRAGMA foreign_key_check").Scan(&table, &row, &parent, &fkid); {
	case err == nil:
		return fmt.Errorf("migration %s: a row of %s refers to a missing row of %v", m.Name, table, parent)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("migration %s: check foreign keys: %w", m.Name, err)
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

// namesVersion is the migration that gave subscriptions names.
const namesVersion, namesFile = 7, "0007_subscription_names.sql"

// nameSubscriptions names the subscriptions stored before names (see
// sqlstore.Store.NameSubscriptions), once the schema has them: tests open
// files at older versions.
func (s *Store) nameSubscriptions(ctx context.Context) error {
	if len(migrations) < namesVersion || migrations[namesVersion-1].Name != namesFile {
		return nil
	}
	return s.NameSubscriptions(ctx)
}
