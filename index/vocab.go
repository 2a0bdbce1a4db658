package index

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"

	"yicha/corpus"
)

// Vocabulary file names, as problems name them.
const (
	SynonymsFile = "index/dict/synonyms.txt"
	PolicyDict   = "index/dict/policy.txt"
)

//go:embed dict/synonyms.txt
var synonymsText string

// Synonyms maps each analysed word of a synonym group to the other words of
// its group.
type Synonyms map[string][]string

// LoadSynonyms reads the embedded synonym groups, analysing every word with
// tok. A word that does not analyse to exactly one token, or that is in two
// groups, is a problem: a search could never match it as a term, and one bad
// definition must not silently change other searches. Groups with problems
// are left out; the problems are returned with their lines.
func LoadSynonyms(tok analysis.Tokenizer) (Synonyms, corpus.Problems) {
	return parseSynonyms(SynonymsFile, synonymsText, tok)
}

func parseSynonyms(file, text string, tok analysis.Tokenizer) (Synonyms, corpus.Problems) {
	syn := Synonyms{}
	var probs corpus.Problems
	groupOf := map[string]int{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		report := func(format string, args ...any) {
			probs = append(probs, corpus.Problem{File: file, Line: i + 1, Message: fmt.Sprintf(format, args...)})
		}
		words := strings.Fields(line)
		if len(words) < 2 {
			report("a synonym group needs at least two words")
			continue
		}
		var terms []string
		ok := true
		for _, w := range words {
			term, err := singleTerm(tok, w)
			if err != nil {
				report("%v", err)
				ok = false
				continue
			}
			if g, dup := groupOf[term]; dup {
				report("「%s」 is already in the group on line %d", w, g)
				ok = false
				continue
			}
			groupOf[term] = i + 1
			terms = append(terms, term)
		}
		if !ok {
			continue
		}
		for _, t := range terms {
			for _, other := range terms {
				if other != t {
					syn[t] = append(syn[t], other)
				}
			}
		}
	}
	return syn, probs
}

// singleTerm returns the one term a word analyses to. Shorter words found
// inside it share its position and do not count.
func singleTerm(tok analysis.Tokenizer, word string) (string, error) {
	stream := tok.Tokenize([]byte(word))
	var top []string
	for _, t := range stream {
		if t.Position != stream[0].Position {
			top = append(top, string(t.Term))
		} else if len(top) == 0 {
			top = append(top, string(t.Term))
		}
	}
	if len(stream) == 0 {
		return "", fmt.Errorf("「%s」 analyses to no token", word)
	}
	if len(top) != 1 || stream[0].Start != 0 || stream[0].End != len(word) {
		var parts []string
		for _, t := range stream {
			parts = append(parts, string(t.Term))
		}
		return "", fmt.Errorf("「%s」 analyses to more than one token (%s); add it to %s", word, strings.Join(parts, " "), PolicyDict)
	}
	return top[0], nil
}

// CheckVocabulary validates the vocabulary files embedded in the binary.
func CheckVocabulary() (corpus.Problems, error) {
	tok, err := NewTokenizer()
	if err != nil {
		return nil, err
	}
	_, probs := LoadSynonyms(tok)
	return probs, nil
}
