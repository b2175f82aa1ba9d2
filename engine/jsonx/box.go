package jsonx

import "unsafe"

// Putting a string into an interface makes the runtime allocate a 16-byte
// string header for the interface to point to; in a typical event the
// string values account for half of all the allocations decoding makes.
// box instead stores the headers of one document's string values side by
// side in a slab and makes each interface point to its slot, so that one
// allocation serves up to 256 strings.
//
// This relies on the layout every Go interface value has, a type word and
// a data word pointing to the value; the interfaces made here are exactly
// what the runtime makes for a string, except where the header lives. A
// slot is written once, before its interface is made, and never again,
// just as the runtime's own boxed values are never written. The garbage
// collector keeps the slab alive as long as any interface points into it.
// A slab is never shared between documents (putDecoder drops it), so a
// value kept from one document cannot keep another document's strings
// alive.

// eface is the layout of an interface value with no methods, such as any.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// stringType is the type word of an interface holding a string.
var stringType = func() unsafe.Pointer {
	var s any = ""
	return (*eface)(unsafe.Pointer(&s)).typ
}()

// box returns s as an any, with its header stored in d.slab.
func (d *decoder) box(s string) any {
	if len(d.slab) == cap(d.slab) {
		// 8, 16, 32, ... 256 strings: at most half of a slab is unused.
		d.slab = make([]string, 0, min(max(2*cap(d.slab), 8), 256))
	}
	d.slab = append(d.slab, s)
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ = stringType
	e.data = unsafe.Pointer(&d.slab[len(d.slab)-1])
	return v
}
