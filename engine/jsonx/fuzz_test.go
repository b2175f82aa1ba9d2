package jsonx

import "testing"

// paymentEvents are realistic events of the kind the engine moves, about
// 200 bytes each; they seed the fuzz targets and the benchmarks.
var paymentEvents = []string{
	`{"tx_id":"tx-000123","amount":1234.5,"currency":"EUR","merchant":"m-42","hour":3,"card":"4111********1111","country":"DE","tags":["web","new"]}`,
	`{"tx_id":"tx-998877","amount":0.99,"currency":"USD","merchant":"m-7","hour":23,"card":"5500********0004","country":"US","tags":[],"risk":{"score":0.873,"rules":["velocity","geo"]}}`,
	`{"tx_id":"tx-000001","amount":-15,"currency":"GBP","merchant":"Caf\u00e9 \"Le Coin\"","hour":0,"card":null,"country":"FR","flagged":true,"note":"refund\nline 2"}`,
	`{"tx_id":"tx-31415","amount":1e21,"currency":"JPY","merchant":"m-😀","hour":12,"card":"3782*******0005","country":"JP","tags":["pos","<b>&</b>"],"ts":1718000000123}`,
	` {"tx_id" : "tx-5", "amount" : 12.000001, "merchant" : {"id":"m-1","mcc":5411,"geo":[52.520008,13.404954]}, "items" : [{"sku":"a","qty":2},{"sku":"b","qty":1}] } `,
}

func addSeeds(f *testing.F) {
	for _, ev := range paymentEvents {
		f.Add([]byte(ev))
	}
	for _, in := range trickyInputs {
		f.Add([]byte(in))
	}
}

// FuzzDecode checks that Decode and DecodeObject accept exactly what
// json.Unmarshal accepts and produce deeply equal values.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		checkDecode(t, in)
	})
}

// FuzzRoundTrip checks that encoding a decoded value gives, byte for byte,
// what encoding/json (HTML escaping off) gives.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRoundTrip(t, in)
	})
}
