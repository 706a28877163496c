// The baseline of `noxus users list` in `npm run bench`: the same request with undici (as a plain
// script imports it, from node_modules) and the same output (tab-separated rows, as noxus prints
// when stdout is not a terminal), and nothing else. NOXUS_BACKEND_URL and NOXUS_API_KEY as for noxus.
import { request } from 'undici';

const base = process.env.NOXUS_BACKEND_URL;
const res = await request(`${base}/v1/admin/users?page=1&size=500&page_size=500`, {
  headers: { accept: 'application/json', 'x-api-key': process.env.NOXUS_API_KEY },
});
if (res.statusCode !== 200) throw new Error(`GET /v1/admin/users: HTTP ${res.statusCode}`);
const { items } = await res.body.json();
let out = '';
for (const u of items) {
  const role = u.org_role?.name ?? (u.tenant_admin ? 'Org Admin' : '');
  out += `${[u.email, u.name ?? u.display_name, u.kind ?? 'human', u.status, role, u.last_active_at ?? '', u.id].join('\t')}\n`;
}
process.stdout.write(out);
