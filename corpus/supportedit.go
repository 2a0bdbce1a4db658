package corpus

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// EncodeSite writes a site's file: the comment lines that open prev (the
// file it replaces, nil for a new site) and the site's fields.
func EncodeSite(site *Site, prev []byte) ([]byte, error) {
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(prev, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("#")) {
			break
		}
		b.Write(line)
	}
	if err := encodeYAML(&b, site); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SetPlace returns the places file with the place id set to loc: its
// entry replaced where it stands, or added at the end; the other places
// and the comments are kept.
func SetPlace(places []byte, id string, loc Location) ([]byte, error) {
	if !slugRE.MatchString(id) {
		return nil, fmt.Errorf("place id %q: lower-case letters, digits and '-' only", id)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(places, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the places file is not a mapping of ids to places")
	}
	loc.ID = ""
	var value yaml.Node
	if err := value.Encode(loc); err != nil {
		return nil, err
	}
	replaced := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == id {
			top.Content[i+1], replaced = &value, true
		}
	}
	if !replaced {
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: id}, &value)
	}
	var b bytes.Buffer
	if err := encodeYAML(&b, &doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeYAML writes v as the corpus's files are written: two-space indents.
func encodeYAML(b *bytes.Buffer, v any) error {
	enc := yaml.NewEncoder(b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}
