// Package index turns policy text into terms (a gse tokenizer that folds
// width, case and traditional characters), owns the bleve mapping and its
// version, and builds, opens and replaces scorch indexes on disk.
package index

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// AnalyzerName is the name of the analyzer every text field uses.
const AnalyzerName = "yicha"

func analyzerConstructor(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
	tok, err := cache.TokenizerNamed(TokenizerName)
	if err != nil {
		return nil, err
	}
	return &analysis.DefaultAnalyzer{Tokenizer: tok}, nil
}

func init() {
	if err := registry.RegisterAnalyzer(AnalyzerName, analyzerConstructor); err != nil {
		panic(err)
	}
}
