-- Custom roles' permissions (a default role's are the code's: NULL)
ALTER TABLE `roles` ADD COLUMN `permissions` json NULL;
-- The admin role's description, where it is still the one provisioned (admins manage custom roles now)
UPDATE `roles` SET `description` = 'Manages the organization, its workspaces, invitations, custom roles, webhooks and non-owner members (deactivating them too), and reads its events.' WHERE `slug` = 'admin' AND `description` = 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.';
