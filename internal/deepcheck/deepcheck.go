// Package deepcheck helps tests check copy semantics: it fills every field of a value, however deep,
// and finds the memory two values share. A clone function tested with it fails as soon as a new field
// with a slice, map or pointer is added and not copied.
package deepcheck

import (
	"fmt"
	"reflect"
	"time"
)

// Fill sets every field reachable from v (a pointer) to a non-zero value: strings, numbers and bools,
// a one-element slice or map, a pointer to a filled value. Times are set to a fixed instant.
func Fill(v any) {
	fill(reflect.ValueOf(v).Elem(), 0)
}

var timeType = reflect.TypeOf(time.Time{})

func fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, depth+1)
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Interface:
		// left nil: an interface's dynamic type is the caller's to choose
	}
}

// Shared returns the paths of the slices, maps and pointers a and b (values of one type) share memory
// through; none for a deep copy.
func Shared(a, b any) []string {
	var out []string
	shared(reflect.ValueOf(a), reflect.ValueOf(b), reflect.TypeOf(a).String(), &out)
	return out
}

func shared(a, b reflect.Value, path string, out *[]string) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		shared(a.Elem(), b.Elem(), path, out)
	case reflect.Slice:
		if a.Len() == 0 || b.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		for i := range min(a.Len(), b.Len()) {
			shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if a.IsNil() || b.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				shared(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k), out)
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name, out)
			}
		}
	case reflect.Interface:
		if !a.IsNil() && !b.IsNil() {
			shared(a.Elem(), b.Elem(), path, out)
		}
	}
}

// Mutate changes, in place, every string, number and bool reachable from v (a pointer) through pointers,
// slices and maps: what a caller does to a value it handed over or was handed. A store that kept or
// returned the caller's memory shows the change.
func Mutate(v any) {
	mutate(reflect.ValueOf(v).Elem(), 0, false)
}

// mutate changes v's scalars when deep (reached through a reference), and follows references.
func mutate(v reflect.Value, depth int, deep bool) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if deep && v.CanSet() {
			v.SetString(v.String() + "~mutated")
		}
	case reflect.Bool:
		if deep && v.CanSet() {
			v.SetBool(!v.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if deep && v.CanSet() {
			v.SetInt(v.Int() + 1)
		}
	case reflect.Uint8:
		if deep && v.CanSet() {
			v.SetUint(v.Uint() ^ 1)
		}
	case reflect.Float64:
		if deep && v.CanSet() {
			v.SetFloat(v.Float() + 1)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem(), depth+1, true)
		}
	case reflect.Slice:
		for i := range v.Len() {
			mutate(v.Index(i), depth+1, true)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutate(e, depth+1, true)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mutate(v.Field(i), depth+1, deep)
			}
		}
	}
}
