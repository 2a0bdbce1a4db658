package web

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Bounds of the answer cache: how many answers, and how many bytes of key
// and answer together (Config.CacheBytes overrides the second).
const (
	SearchCacheSize  = 20000
	SearchCacheBytes = 64 << 20
)

// cachedAnswer is a cached /api/search answer and whether it found nothing.
type cachedAnswer struct {
	body []byte
	zero bool
}

// answerCache keeps the most recently used /api/search answers within a
// count and a byte budget: a client that makes every answer large, or every
// key long, only pushes older answers out.
type answerCache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, cachedAnswer]
	bytes    int64
	maxBytes int64
}

func newAnswerCache(entries int, maxBytes int64) *answerCache {
	c := &answerCache{maxBytes: maxBytes}
	c.lru, _ = simplelru.NewLRU(entries, func(key string, a cachedAnswer) { c.bytes -= size(key, a) })
	return c
}

func size(key string, a cachedAnswer) int64 { return int64(len(key) + len(a.body) + 64) }

// Get returns the answer kept under key.
func (c *answerCache) Get(key string) (cachedAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

// Add keeps an answer, unless it alone is over the byte budget, and drops
// the least recently used ones until the cache is within it.
func (c *answerCache) Add(key string, a cachedAnswer) {
	n := size(key, a)
	if n > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.lru.Peek(key); ok {
		c.bytes -= size(key, old)
	}
	c.lru.Add(key, a)
	c.bytes += n
	for c.bytes > c.maxBytes {
		c.lru.RemoveOldest()
	}
}

// Size returns how many answers and bytes the cache holds.
func (c *answerCache) Size() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}
