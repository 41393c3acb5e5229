package model

import (
	"fmt"
	"reflect"
	"testing"
)

// TestCopyFromCopiesEveryField sets every field of a Packet, nested ones
// included, to a value of its own and checks that CopyFrom carries all of
// them: a field added to Packet and forgotten there fails here.
func TestCopyFromCopiesEveryField(t *testing.T) {
	var src Packet
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i))
			}
			return
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			v.SetUint(uint64(n + 1))
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			v.SetInt(int64(n + 1))
		case reflect.String:
			v.SetString(fmt.Sprint("field", n))
		default:
			t.Fatalf("Packet has a field of kind %s: teach this test and CopyFrom about it", v.Kind())
		}
		n++
	}
	fill(reflect.ValueOf(&src).Elem())
	var dst Packet
	dst.CopyFrom(&src)
	if dst != src {
		t.Errorf("CopyFrom missed a field:\n got  %#v\n want %#v", dst, src)
	}
}
