package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/store"
)

// The route shapes most endpoints share, written once.

// same is the identity shaping function.
func same[T any](v T) T { return v }

// getByID answers GET .../{id}: parse the id, read, shape, write.
func getByID[T any](get func(context.Context, uuid.UUID) (T, error), shape func(T) T) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := get(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, shape(v))
		return nil
	}
}

// getByPath answers GET .../{param} for a string key (name, slug, tag).
func getByPath[T any](param string, get func(context.Context, string) (T, error), shape func(T) T) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := get(r.Context(), r.PathValue(param))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, shape(v))
		return nil
	}
}

// deleteByID answers DELETE .../{id} with 204, or 200 null when nullBody
// (2.7's concurrency-limit routes).
func deleteByID(del func(context.Context, uuid.UUID) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := del(r.Context(), id); err != nil {
			return err
		}
		return noContent(w)
	}
}

// countRoute answers POST .../count with the four run filters.
func (s *Server) countRoute(count func(context.Context, *store.RunFilters) (int, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		f, err := fb.runFilters()
		if err != nil {
			return err
		}
		n, err := count(r.Context(), &f)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, n)
		return nil
	}
}

// lister lists one page of a query built from a filter body.
type lister[T any] func(ctx context.Context, p store.Page) ([]T, error)

// listRoute answers POST .../filter: build decodes the route's filter keys
// and sort into a lister; paging follows 2.7 (default and maximum limit).
func listRoute[T any](s *Server, limit int, build func(*filterBody) (lister[T], error), shape func(T) T) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		list, err := build(fb)
		if err != nil {
			return err
		}
		p, err := fb.page(limit, limit)
		if err != nil {
			return err
		}
		out := []T{}
		if p.Limit >= 0 {
			if out, err = list(r.Context(), p); err != nil {
				return err
			}
		}
		for i := range out {
			out[i] = shape(out[i])
		}
		writeJSON(w, http.StatusOK, emptyIfNil(out))
		return nil
	}
}

// runListRoute is listRoute for the objects queried with the run filters
// and a sort.
func runListRoute[T any, S ~string](s *Server, sorts []S, def S, list func(context.Context, store.RunFilters, S, store.Page) ([]T, error), shape func(T) T) handlerFunc {
	return listRoute(s, DefaultLimit, func(fb *filterBody) (lister[T], error) {
		f, err := fb.runFilters()
		if err != nil {
			return nil, err
		}
		sort, err := sortKey(fb, sorts, def)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, p store.Page) ([]T, error) { return list(ctx, f, sort, p) }, nil
	}, shape)
}
