// Package auth signs the example inbox's users in and tells every request who is asking: web sessions in
// signed cookies with CSRF tokens and an Origin check, bearer tokens for API clients, bcrypt-hashed
// passwords from a users file, and rate-limited sign-in attempts.
//
// Sessions and tokens are signed values: an HMAC-SHA256 over the user, the expiry and a random ID under
// the server's key. A restart keeps everyone signed in; changing the key signs everyone out. A web
// session lasts 12 hours, a bearer token 24 (Options). Signing out (SignOut, and Revoke for a bearer
// token: the API's DELETE /api/token) records the value's ID in the Revocations until it expires, so a
// saved copy of the cookie or token stops working at once; with OpenRevocations that list is a file and
// survives a restart, as the sessions do.
//
// Sign-in attempts are limited: 5 wrong passwords for one user within 10 minutes lock that user's
// sign-in, from every address, until the 10 minutes have passed (a right password before then forgets
// the failures); 100 failures from one client address within 10 minutes, whichever users they name,
// lock sign-in from that address (a bound against trying a few passwords on many users). One user's
// typos never lock out a colleague who signs in from the same address, as a team behind one proxy does.
package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is a person who may sign in.
type User struct {
	ID   string `json:"id"` // what they sign in with, and their user ID in msgkit (assignee, author)
	Name string `json:"name"`
	// Admin users may connect and change channels and assignment rules.
	Admin bool `json:"admin,omitempty"`
	// Roles are the assignment roles the user belongs to (e.g. "sales").
	Roles []string `json:"roles,omitempty"`
	// TimeZone is an IANA zone name ("Asia/Tokyo"): the user's "today" starts at midnight there. Empty: UTC.
	TimeZone string `json:"timeZone,omitempty"`
	// PasswordHash is the bcrypt hash of the user's password.
	PasswordHash string `json:"passwordHash"`

	loc *time.Location
}

// Location returns the user's time zone.
func (u User) Location() *time.Location {
	if u.loc == nil {
		return time.UTC
	}
	return u.loc
}

// HasRole reports whether the user belongs to role.
func (u User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// Users is the set of users who may sign in.
type Users struct {
	byID  map[string]User
	order []string
	dummy []byte // a real hash, compared against for unknown users
}

// NewUsers returns the users list, checking each: an ID, a bcrypt hash, a known time zone.
func NewUsers(list []User) (*Users, error) {
	us := &Users{byID: map[string]User{}}
	cost := bcrypt.DefaultCost
	for i, u := range list {
		if u.ID == "" {
			return nil, fmt.Errorf("auth: user %d has no id", i+1)
		}
		if _, dup := us.byID[u.ID]; dup {
			return nil, fmt.Errorf("auth: user %q is listed twice", u.ID)
		}
		c, err := bcrypt.Cost([]byte(u.PasswordHash))
		if err != nil {
			return nil, fmt.Errorf("auth: user %q: passwordHash is not a bcrypt hash", u.ID)
		}
		if i == 0 {
			cost = c // unknown users cost what a real one does
		}
		if u.TimeZone != "" {
			loc, err := time.LoadLocation(u.TimeZone)
			if err != nil {
				return nil, fmt.Errorf("auth: user %q: unknown time zone %q", u.ID, u.TimeZone)
			}
			u.loc = loc
		}
		if u.Name == "" {
			u.Name = u.ID
		}
		us.byID[u.ID] = u
		us.order = append(us.order, u.ID)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("no user has this password"), cost)
	if err != nil {
		return nil, err
	}
	us.dummy = dummy
	return us, nil
}

// ReadUsers reads a users file: a JSON array of users, e.g.
//
//	[{"id": "aiko", "name": "Aiko", "admin": true, "roles": ["sales"], "timeZone": "Asia/Tokyo",
//	  "passwordHash": "$2a$10$…"}]
//
// Unknown fields are refused, so a typo does not silently drop a setting.
func ReadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: users file: %w", err)
	}
	defer f.Close()
	return DecodeUsers(f)
}

// DecodeUsers reads a users file's content (see ReadUsers).
func DecodeUsers(r io.Reader) (*Users, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var list []User
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("auth: users file: %w", err)
	}
	return NewUsers(list)
}

// HashPassword returns the bcrypt hash of password, for a users file.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("auth: a password needs at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// Get returns the user id.
func (us *Users) Get(id string) (User, bool) {
	u, ok := us.byID[id]
	return u, ok
}

// List returns the users in the file's order.
func (us *Users) List() []User {
	out := make([]User, len(us.order))
	for i, id := range us.order {
		out[i] = us.byID[id]
	}
	return out
}

// WithRole returns the IDs of the users in role, in the file's order.
func (us *Users) WithRole(role string) []string {
	var out []string
	for _, id := range us.order {
		if us.byID[id].HasRole(role) {
			out = append(out, id)
		}
	}
	return out
}

// check verifies id's password. It spends a bcrypt comparison even for an unknown user, so the time taken
// does not tell which users exist.
func (us *Users) check(id, password string) (User, bool) {
	u, ok := us.byID[id]
	hash := []byte(u.PasswordHash)
	if !ok {
		hash = us.dummy
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	return u, ok && err == nil
}
