import { it } from 'vitest';
import { mockServer } from './mock.js';
import { getGroups } from './ws-fixtures.js';

it('peek', async () => {
  const server = mockServer();
  getGroups(server);
  const r = await server.run(['ws', 'list']);
  console.log(JSON.stringify(r));
});
