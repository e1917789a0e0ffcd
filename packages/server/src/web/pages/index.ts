import type { Hono } from 'hono';
import type { CookieNames } from '../../http/app.ts';
import type { AppEnv } from '../../http/context.ts';
import { type Guard, pageRoutes, type RouteRegistry } from '../../http/routes.ts';
import { registerAdmin } from './admin.ts';
import { registerCases } from './cases.ts';
import { registerEvidenceItem } from './evidence-item.ts';
import { registerEvidenceList } from './evidence-list.ts';
import { registerEvidenceUpload } from './evidence-upload.ts';
import { registerExport } from './export.ts';
import { registerHome } from './home.ts';
import { registerIncidents } from './incidents.ts';
import { registerLegal } from './legal.ts';
import { registerMatrix } from './matrix.ts';
import { registerProfile } from './profile.ts';
import { registerReportPortal } from './report-portal.ts';
import { registerReports } from './reports.ts';
import { registerSignIn } from './sign-in.ts';
import { registerWitnesses } from './witnesses.ts';

export type PageRoutes = ReturnType<typeof pageRoutes>;

export const registerPages = (
  app: Hono<AppEnv>,
  registry: RouteRegistry,
  guard: Guard,
  cookies: CookieNames,
  secure: boolean,
) => {
  const r = pageRoutes(app, registry, guard);
  registerSignIn(r, cookies, secure);
  registerHome(r);
  registerAdmin(r);
  registerProfile(r, cookies, secure);
  registerCases(r);
  registerExport(r);
  registerLegal(r);
  registerIncidents(r);
  registerMatrix(r);
  registerWitnesses(r);
  registerReportPortal(r);
  registerReports(r);
  // The upload page before /evidence/:id, which would otherwise also match /evidence/upload.
  registerEvidenceUpload(r);
  registerEvidenceList(r);
  registerEvidenceItem(r);
};
