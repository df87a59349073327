package hydra_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
)

// The handlers merge validated nested input into the stored structs through
// their JSON names, so the names must be the declared property names.
func TestNestedClassesMatchStoredTypes(t *testing.T) {
	for _, c := range []struct {
		class *hydra.Class
		typ   any
	}{
		{hydra.Contact, schema.Contact{}},
		{hydra.Address, schema.Address{}},
		{hydra.StatusChange, schema.StatusChange{}},
	} {
		var tags, props []string
		rt := reflect.TypeOf(c.typ)
		for i := 0; i < rt.NumField(); i++ {
			tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
		}
		for _, p := range c.class.Properties {
			props = append(props, p.Name)
		}
		if !reflect.DeepEqual(tags, props) {
			t.Errorf("%s: stored JSON names %v, declared properties %v", c.class.Name, tags, props)
		}
	}
}
