package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/workspace"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	q, err := listQuery(r, hydra.Workspace)
	if err != nil {
		return err
	}
	if err := s.aliasQuery(r, &q); err != nil {
		return err
	}
	query := s.db.Workspace.Query().Where(visibleThrough(p))
	if id, ok, err := filterID(q, "organization", hydra.Organization); err != nil {
		return err
	} else if ok {
		query.Where(workspace.OrganizationID(id))
	}
	if name, ok := q.Filters["name"]; ok && name != "" {
		query.Where(workspace.NameContainsFold(name))
	}
	return s.writePage(w, r, hydra.Workspace, q,
		func() (int, error) { return query.Clone().Count(ctx) },
		func(offset, limit int) ([]*hydra.Node, int, error) {
			list, err := query.Clone().Order(orderBy[workspace.OrderOption](q)...).Offset(offset).Limit(limit).All(ctx)
			if err != nil {
				return nil, 0, err
			}
			nodes := make([]*hydra.Node, len(list))
			for i, ws := range list {
				nodes[i] = workspaceNode(ws)
			}
			return nodes, len(nodes), nil
		})
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	ws, err := s.findWorkspace(ctx, s.db.Client, r, p)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, workspaceNode(ws))
}

func (s *Server) findWorkspace(ctx context.Context, c *ent.Client, r *http.Request, p *principal) (*ent.Workspace, error) {
	id, ok := routeID(r)
	if !ok {
		return nil, problems.NotFound()
	}
	return found(c.Workspace.Query().Where(workspace.ID(id), visibleThrough(p)).Only(ctx))
}

// createWorkspace serves POST /api/workspaces and its alias
// POST /api/organizations/{id}/workspaces.
func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	in, err := s.decodeCreate(w, r, hydra.Workspace)
	if err != nil {
		return err
	}
	orgID, _ := in.String("organization")
	name, _ := in.String("name")
	var ws *ent.Workspace
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enterOrganizationOf(ctx, tx, r, p, orgID)
		if err != nil {
			return err
		}
		if err := workspaceWritable(sc); err != nil {
			return err
		}
		if err := uniqueWorkspaceName(ctx, tx, sc.org.ID, name, uuid.Nil); err != nil {
			return err
		}
		now := schema.Now()
		ws, err = tx.Workspace.Create().SetOrganizationID(sc.org.ID).SetName(name).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, workspaceNode(ws))
}

func (s *Server) patchWorkspace(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	if err := negotiateEarly(r); err != nil {
		return err
	}
	body, err := readBody(w, r, patchTypes)
	if err != nil {
		return err
	}
	var ws *ent.Workspace
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		var err error
		if ws, err = s.lockWorkspace(ctx, tx, r, p); err != nil {
			return err
		}
		in, err := s.decode(r, hydra.Workspace, body, false)
		if err != nil {
			return err
		}
		name, ok := in.String("name")
		if !ok || name == ws.Name {
			return nil
		}
		if err := uniqueWorkspaceName(ctx, tx, ws.OrganizationID, name, ws.ID); err != nil {
			return err
		}
		if ws, err = tx.Workspace.UpdateOne(ws).SetName(name).Save(ctx); err != nil {
			return fmt.Errorf("rename workspace: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, workspaceNode(ws))
}

func (s *Server) deleteWorkspace(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	err := s.db.Tx(ctx, func(tx *ent.Tx) error {
		ws, err := s.lockWorkspace(ctx, tx, r, p)
		if err != nil {
			return err
		}
		if err := tx.Workspace.DeleteOne(ws).Exec(ctx); err != nil {
			return fmt.Errorf("delete workspace: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lockWorkspace finds a visible workspace, enters its organization (locked),
// checks that the caller may change it, and reads it again under the lock.
func (s *Server) lockWorkspace(ctx context.Context, tx *ent.Tx, r *http.Request, p *principal) (*ent.Workspace, error) {
	ws, err := s.findWorkspace(ctx, tx.Client(), r, p)
	if err != nil {
		return nil, err
	}
	sc, err := s.enter(ctx, tx, p, ws.OrganizationID)
	if err != nil {
		return nil, err
	}
	if err := workspaceWritable(sc); err != nil {
		return nil, err
	}
	if ws, err = s.findWorkspace(ctx, tx.Client(), r, p); err != nil {
		return nil, err
	}
	return ws, s.precondition(r, workspaceNode(ws))
}

func workspaceWritable(sc scope) error {
	if err := sc.can(schema.ManageWorkspaces); err != nil {
		return err
	}
	return sc.active()
}

// uniqueWorkspaceName compares names case-insensitively: "Design" and
// "design" side by side would only confuse people.
func uniqueWorkspaceName(ctx context.Context, tx *ent.Tx, orgID uuid.UUID, name string, except uuid.UUID) error {
	taken, err := tx.Workspace.Query().Where(workspace.OrganizationID(orgID), workspace.NameEqualFold(name), workspace.IDNEQ(except)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find workspace: %w", err)
	}
	if taken {
		return violation("name", "This value is already used.", problems.CodeNotUnique)
	}
	return nil
}

func workspaceNode(ws *ent.Workspace) *hydra.Node {
	return hydra.NewNode(hydra.Workspace, hydra.Workspace.IRI(ws.ID.String())).
		Set("id", ws.ID.String()).
		Set("organization", hydra.Organization.IRI(ws.OrganizationID.String())).
		Set("name", ws.Name).
		Set("created_at", ws.CreatedAt).
		Set("updated_at", ws.UpdatedAt)
}
