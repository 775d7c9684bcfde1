import { createTestDatabase, createTestGateway } from '../test/helpers.js';
const db = await createTestDatabase();
const gw = createTestGateway(db);
await db.prisma.section.create({ data: { slug: 'w', name: 'W' } });
console.log(JSON.stringify(await gw.query(`{ section(slug: "w") { __typename } sections { __typename } articles(first: 1) { edges { node { __typename } } } mostPopular { __typename } }`)));
await db.dispose();
