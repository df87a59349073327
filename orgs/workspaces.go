package orgs

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/workspace"
)

// WorkspaceFilter narrows the workspaces listed; a zero field does not.
// Name is a part of the name, in any case.
type WorkspaceFilter struct {
	Organization uuid.UUID
	Name         string
}

// Workspaces lists the workspaces the caller sees.
func (s *Service) Workspaces(c Caller, f WorkspaceFilter, order []Order) List[*ent.Workspace] {
	q := s.client.Workspace.Query().Where(visibleThrough(c))
	if f.Organization != uuid.Nil {
		q.Where(workspace.OrganizationID(f.Organization))
	}
	if f.Name != "" {
		q.Where(workspace.NameContainsFold(f.Name))
	}
	return listOf(q, (*ent.WorkspaceQuery).Order, order)
}

// Workspace reads a workspace the caller sees.
func (s *Service) Workspace(ctx context.Context, c Caller, id uuid.UUID) (*ent.Workspace, error) {
	return findWorkspace(ctx, s.client, c, id)
}

func findWorkspace(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.Workspace, error) {
	return found(client.Workspace.Query().Where(workspace.ID(id), visibleThrough(c)).Only(ctx))
}

// mayChangeWorkspaces is Forbidden unless the caller manages workspaces
// and the organization is active.
func (sc *Scope) mayChangeWorkspaces() error { return sc.Standing().MayChangeWorkspaces() }

// MayChangeWorkspaces is Forbidden unless the caller manages workspaces
// and the organization is active: the rule of creating, renaming and
// deleting them.
func (st Standing) MayChangeWorkspaces() error {
	if err := st.grant.can(schema.ManageWorkspaces); err != nil {
		return err
	}
	return st.active()
}

// CreateWorkspace adds a workspace to the organization.
func (sc *Scope) CreateWorkspace(ctx context.Context, name string) (*ent.Workspace, error) {
	if err := sc.mayChangeWorkspaces(); err != nil {
		return nil, err
	}
	if err := sc.uniqueWorkspaceName(ctx, name, uuid.Nil); err != nil {
		return nil, err
	}
	now := schema.Now()
	ws, err := sc.tx.Workspace.Create().SetOrganizationID(sc.Org.ID).SetName(name).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	return ws, sc.record(ctx, WorkspaceCreated, ws, nil)
}

// EnterWorkspace finds a workspace the caller sees, enters its
// organization, checks that the caller may change its workspaces, and
// reads the workspace again under the lock.
func (s *Service) EnterWorkspace(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*Scope, *ent.Workspace, error) {
	find := func() (*ent.Workspace, error) { return findWorkspace(ctx, tx.Client(), c, id) }
	return enterOwner(ctx, s, tx, c, find, func(ws *ent.Workspace) uuid.UUID { return ws.OrganizationID }, (*Scope).mayChangeWorkspaces)
}

// RenameWorkspace gives a workspace of the organization another name.
func (sc *Scope) RenameWorkspace(ctx context.Context, ws *ent.Workspace, name string) (*ent.Workspace, error) {
	if name == ws.Name {
		return ws, nil
	}
	if err := sc.uniqueWorkspaceName(ctx, name, ws.ID); err != nil {
		return nil, err
	}
	previous := map[string]any{"name": ws.Name}
	ws, err := sc.tx.Workspace.UpdateOne(ws).SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("rename workspace: %w", err)
	}
	return ws, sc.record(ctx, WorkspaceUpdated, ws, previous)
}

// DeleteWorkspace deletes a workspace of the organization.
func (sc *Scope) DeleteWorkspace(ctx context.Context, ws *ent.Workspace) error {
	if err := sc.record(ctx, WorkspaceDeleted, ws, nil); err != nil {
		return err
	}
	if err := sc.tx.Workspace.DeleteOne(ws).Exec(ctx); err != nil {
		return fmt.Errorf("delete workspace: %w", err)
	}
	return nil
}

// uniqueWorkspaceName compares names case-insensitively: "Design" and
// "design" side by side would only confuse people.
func (sc *Scope) uniqueWorkspaceName(ctx context.Context, name string, except uuid.UUID) error {
	taken, err := sc.tx.Workspace.Query().Where(workspace.OrganizationID(sc.Org.ID), workspace.NameEqualFold(name), workspace.IDNEQ(except)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find workspace: %w", err)
	}
	if taken {
		return violation("name", "This value is already used.", RuleNotUnique)
	}
	return nil
}
