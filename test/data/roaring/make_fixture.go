// make_fixture writes bitmaps serialised by Go RoaringBitmap (an independent
// Roaring implementation) as SQL rows of test/fixtures/roaring.sql: name,
// whether the bitmap was run-optimised first (pg_portrait always is, so those
// rows must be byte-identical to ours), the cardinality, the MD5 of the ids
// in pg_portrait's text form, and the portable serialisation.
//
// Build offline with Debian's golang-github-roaringbitmap-roaring-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run make_fixture.go > ../../fixtures/roaring.sql
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand"
	"strings"

	"github.com/RoaringBitmap/roaring"
)

type sample struct {
	name string
	ids  []uint32
}

func main() {
	rng := rand.New(rand.NewSource(22))
	var samples []sample
	samples = append(samples, sample{"empty", nil})
	samples = append(samples, sample{"small", []uint32{1, 3, 5, 1000, 65535, 65536, 4294967295}})
	var sparse []uint32
	for i := 0; i < 3000; i++ {
		sparse = append(sparse, rng.Uint32()%5000000)
	}
	samples = append(samples, sample{"sparse", sparse})
	var dense []uint32
	for i := 0; i < 100000; i++ {
		if rng.Intn(3) != 0 {
			dense = append(dense, uint32(i))
		}
	}
	samples = append(samples, sample{"dense", dense})
	var runs []uint32
	for s := uint32(0); s < 300000; s += 70000 {
		for i := s; i < s+20000; i++ {
			runs = append(runs, i)
		}
	}
	samples = append(samples, sample{"runs", runs})

	fmt.Println("-- Written by test/data/roaring/make_fixture.go (Go RoaringBitmap); do not edit.")
	fmt.Println("DROP SCHEMA IF EXISTS roaring_ref CASCADE;")
	fmt.Println("CREATE SCHEMA roaring_ref;")
	fmt.Println("CREATE TABLE roaring_ref.go_bitmaps (name text, optimised boolean, cardinality bigint, ids_md5 text, blob bytea);")
	for _, s := range samples {
		for _, opt := range []bool{false, true} {
			b := roaring.BitmapOf(s.ids...)
			if opt {
				b.RunOptimize()
			}
			var buf bytes.Buffer
			if _, err := b.WriteTo(&buf); err != nil {
				panic(err)
			}
			parts := make([]string, 0, b.GetCardinality())
			it := b.Iterator()
			for it.HasNext() {
				parts = append(parts, fmt.Sprint(it.Next()))
			}
			text := "{" + strings.Join(parts, ",") + "}"
			fmt.Printf("INSERT INTO roaring_ref.go_bitmaps VALUES ('%s', %t, %d, '%x', '\\x%s');\n",
				s.name, opt, b.GetCardinality(), md5.Sum([]byte(text)), hex.EncodeToString(buf.Bytes()))
		}
	}
}
