package agents

// nameSet finds a key among a fixed list of names. It is made for the
// few names of an agent's configuration looked up once per event field:
// names are bucketed by length and first byte, so most keys that are not
// in the set are turned away by one table read, and the others are
// compared with the one or two names of their bucket. It is several times
// faster than a map[string]int for such sets.
type nameSet struct {
	// buckets[bucketOf(len, first byte)] lists the indexes of the names
	// with that length and first byte (colliding buckets are merged).
	buckets [nameSetBuckets][]int32
	names   []string
}

const nameSetBuckets = 256

func bucketOf(s string) int {
	return (len(s)*31 + int(s[0])) % nameSetBuckets
}

// newNameSet returns a set of names; index reports a name's position in
// names (the first one, for duplicates).
func newNameSet(names []string) nameSet {
	s := nameSet{names: names}
	for i, n := range names {
		if n == "" || s.index(n) >= 0 {
			continue
		}
		b := bucketOf(n)
		s.buckets[b] = append(s.buckets[b], int32(i))
	}
	return s
}

// index returns the position of k among the names, or -1.
func (s *nameSet) index(k string) int {
	if k == "" {
		for i, n := range s.names {
			if n == "" {
				return i
			}
		}
		return -1
	}
	for _, i := range s.buckets[bucketOf(k)] {
		if s.names[i] == k {
			return int(i)
		}
	}
	return -1
}
