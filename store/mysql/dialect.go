package mysql

import (
	"database/sql"
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/msgkit/msgkit/store/sqlstore"
)

// MySQL error numbers the store maps (the same in MariaDB).
const (
	errDupEntry       = 1062 // ER_DUP_ENTRY
	errNoReferenced   = 1452 // ER_NO_REFERENCED_ROW_2: a foreign key's parent is missing
	errNoReferencedV1 = 1216 // ER_NO_REFERENCED_ROW
	errLockWait       = 1205 // ER_LOCK_WAIT_TIMEOUT
	errDeadlock       = 1213 // ER_LOCK_DEADLOCK
	errRecordChanged  = 1020 // ER_CHECKREAD: MariaDB's snapshot isolation saw a concurrent change
)

// Dialect is MySQL's and MariaDB's sqlstore.Dialect. They have FOR UPDATE and SKIP LOCKED (MySQL 8.0,
// MariaDB 10.6), but not ON CONFLICT, UPDATE … RETURNING, or row-value comparisons their range optimizer
// uses, so the layer writes portable statements for those.
type Dialect struct{}

// Classify implements sqlstore.Dialect with MySQL's error numbers.
func (Dialect) Classify(err error) sqlstore.ErrorKind {
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.NoRows
	}
	var e *mysql.MySQLError
	if !errors.As(err, &e) {
		return sqlstore.Other
	}
	switch e.Number {
	case errDupEntry:
		return sqlstore.Unique
	case errNoReferenced, errNoReferencedV1:
		return sqlstore.ForeignKey
	case errDeadlock, errLockWait, errRecordChanged:
		return sqlstore.Retry
	}
	return sqlstore.Other
}

// Has implements sqlstore.Dialect.
func (Dialect) Has(f sqlstore.Feature) bool {
	return f == sqlstore.RowLocks || f == sqlstore.SkipLocked
}
