// The demo newsroom: "The Meridian", an English-language daily with a daily e-paper, modelled on
// the sample page described in docs/sample-page.md. Every sentence here was written for the
// demo. Stories about real events are illustrative paraphrase, not reporting: people quoted by
// name are invented, and no quotation is attributed to a real person or outlet.
//
// Times are Pakistan Standard Time (+05:00), the paper's home time zone; editions are dated in it.
import type { ArticleKind, ArticleStatus, AuthorKind, BylineRole, TagKind } from '../src/generated/prisma/client.js';

export type DemoSection = { slug: string; name: string; description?: string; parent?: string; position: number };
export type DemoAuthor = { slug: string; name: string; kind: AuthorKind; bio: string; avatarUrl?: string };
export type DemoTag = { slug: string; name: string; kind: TagKind };
export type DemoMedia = {
  key: string;
  url: string;
  caption: string;
  credit: string;
  altText: string;
  width: number;
  height: number;
};
export type DemoByline = { author: string; role: BylineRole };
export type DemoArticle = {
  slug: string;
  headline: string;
  summary: string;
  /** Paragraphs of Markdown, joined with blank lines. */
  body: string[];
  kind: ArticleKind;
  status: ArticleStatus;
  section: string;
  byline: DemoByline[];
  tags: string[];
  dateline?: string;
  hero?: string;
  /** ISO time; required for PUBLISHED and UNPUBLISHED, absent otherwise. */
  publishedAt?: string;
  /** The public "Updated" time; absent when the story was never updated. */
  updatedAt?: string;
  /** SCHEDULED only: hours after the seed's `now`. */
  scheduledInHours?: number;
  corrections?: { text: string; at: string }[];
  /** Placed on page 1 of its day's edition. */
  front?: boolean;
  /** A live blog's posts (kind LIVE), oldest first. */
  posts?: DemoPost[];
};
export type DemoPost = { at: string; author: string; body: string; summary?: string; keyEvent?: boolean; pinned?: boolean };
export type DemoEdition = {
  slug: string;
  name: string;
  kind: 'DAILY' | 'PRINT' | 'REGIONAL' | 'SPECIAL';
  /** YYYY-MM-DD, Pakistan time. */
  date: string;
  /** Ordered pages of article slugs; absent for a DAILY edition = every story of that day by section. */
  pages?: string[][];
};
export type DemoCollection = { slug: string; name: string; description: string; items: string[] };

export const PUBLICATION = { name: 'The Meridian', timeZoneOffset: '+05:00' } as const;

export const MAIN_STORY_SLUG = 'china-tells-ai-leaders-to-avoid-us-travel';

export const sections: DemoSection[] = [
  { slug: 'news', name: 'News', description: 'The day’s main stories.', position: 0 },
  { slug: 'pakistan', name: 'Pakistan', description: 'Politics, provinces, courts and cities.', position: 1 },
  { slug: 'world', name: 'World', description: 'International news from our correspondents and the wires.', position: 2 },
  { slug: 'asia', name: 'Asia', parent: 'world', position: 0 },
  { slug: 'americas', name: 'Americas', parent: 'world', position: 1 },
  { slug: 'middle-east', name: 'Middle East', parent: 'world', position: 2 },
  { slug: 'europe', name: 'Europe', parent: 'world', position: 3 },
  { slug: 'business', name: 'Business', description: 'Markets, economy and companies.', position: 3 },
  { slug: 'technology', name: 'Technology', description: 'Technology, science and the digital economy.', position: 4 },
  { slug: 'sport', name: 'Sport', position: 5 },
  { slug: 'opinion', name: 'Opinion', description: 'Editorials, columns and letters.', position: 6 },
  { slug: 'editorial', name: 'Editorial', parent: 'opinion', description: 'The paper’s own view.', position: 0 },
  { slug: 'columns', name: 'Columns', parent: 'opinion', position: 1 },
  { slug: 'letters', name: 'Letters', parent: 'opinion', position: 2 },
  { slug: 'culture', name: 'Culture', description: 'Books, film, music and the arts.', position: 7 },
];

export const authors: DemoAuthor[] = [
  { slug: 'reuters', name: 'Reuters', kind: 'AGENCY', bio: 'International news agency.' },
  { slug: 'ap', name: 'The Associated Press', kind: 'AGENCY', bio: 'US-based international news agency.' },
  { slug: 'afp', name: 'AFP', kind: 'AGENCY', bio: 'Agence France-Presse, the French international news agency.' },
  {
    slug: 'editorial-board',
    name: 'Editorial Board',
    kind: 'STAFF',
    bio: 'The Meridian’s editorials are written by its editorial board and express the paper’s position.',
  },
  { slug: 'letters-desk', name: 'Letters Desk', kind: 'STAFF', bio: 'Letters from readers, edited for length and clarity.' },
  {
    slug: 'ayesha-malik',
    name: 'Ayesha Malik',
    kind: 'STAFF',
    bio: 'Diplomatic correspondent in Islamabad, covering foreign policy and security.',
    avatarUrl: 'https://media.example.com/authors/ayesha-malik.jpg',
  },
  {
    slug: 'imran-qureshi',
    name: 'Imran Qureshi',
    kind: 'STAFF',
    bio: 'Peshawar bureau chief; reports on Khyber Pakhtunkhwa and the Afghan border.',
    avatarUrl: 'https://media.example.com/authors/imran-qureshi.jpg',
  },
  { slug: 'sana-baloch', name: 'Sana Baloch', kind: 'STAFF', bio: 'Karachi-based reporter covering Sindh and Balochistan.' },
  { slug: 'hamza-siddiqui', name: 'Hamza Siddiqui', kind: 'STAFF', bio: 'Parliamentary reporter in Islamabad.' },
  { slug: 'ali-raza', name: 'Ali Raza', kind: 'STAFF', bio: 'Lahore correspondent; writes about Punjab, the environment and health.' },
  { slug: 'farah-naqvi', name: 'Farah Naqvi', kind: 'STAFF', bio: 'Business editor; follows the economy, markets and the IMF programme.' },
  { slug: 'nadia-rehman', name: 'Nadia Rehman', kind: 'STAFF', bio: 'Technology reporter covering AI, start-ups and digital rights.' },
  { slug: 'bilal-chaudhry', name: 'Bilal Chaudhry', kind: 'STAFF', bio: 'Sports writer; cricket, hockey and squash.' },
  { slug: 'zainab-hussain', name: 'Zainab Hussain', kind: 'STAFF', bio: 'Culture editor; books, film and the arts.' },
  { slug: 'omar-farooq', name: 'Omar Farooq', kind: 'STAFF', bio: 'Staff photographer.' },
  {
    slug: 'khalid-mansoor',
    name: 'Khalid Mansoor',
    kind: 'CONTRIBUTOR',
    bio: 'An economist who has advised provincial governments on fiscal policy.',
  },
  { slug: 'maryam-aziz', name: 'Maryam Aziz', kind: 'CONTRIBUTOR', bio: 'A lawyer who writes on constitutional rights and technology.' },
  { slug: 'rafia-zaman', name: 'Rafia Zaman', kind: 'CONTRIBUTOR', bio: 'Travel writer and author of two books on the northern areas.' },
  { slug: 'kamran-hashmi', name: 'Kamran Hashmi', kind: 'CONTRIBUTOR', bio: 'A retired diplomat who served in Beijing and Washington.' },
];

export const tags: DemoTag[] = [
  // Places
  { slug: 'china', name: 'China', kind: 'PLACE' },
  { slug: 'united-states', name: 'United States', kind: 'PLACE' },
  { slug: 'pakistan', name: 'Pakistan', kind: 'PLACE' },
  { slug: 'karachi', name: 'Karachi', kind: 'PLACE' },
  { slug: 'lahore', name: 'Lahore', kind: 'PLACE' },
  { slug: 'islamabad', name: 'Islamabad', kind: 'PLACE' },
  { slug: 'peshawar', name: 'Peshawar', kind: 'PLACE' },
  { slug: 'khyber-pakhtunkhwa', name: 'Khyber Pakhtunkhwa', kind: 'PLACE' },
  { slug: 'balochistan', name: 'Balochistan', kind: 'PLACE' },
  { slug: 'afghanistan', name: 'Afghanistan', kind: 'PLACE' },
  { slug: 'gaza', name: 'Gaza', kind: 'PLACE' },
  { slug: 'ukraine', name: 'Ukraine', kind: 'PLACE' },
  // Topics
  { slug: 'artificial-intelligence', name: 'Artificial intelligence', kind: 'TOPIC' },
  { slug: 'national-security', name: 'National security', kind: 'TOPIC' },
  { slug: 'travel', name: 'Travel', kind: 'TOPIC' },
  { slug: 'semiconductors', name: 'Semiconductors', kind: 'TOPIC' },
  { slug: 'trade', name: 'Trade', kind: 'TOPIC' },
  { slug: 'economy', name: 'Economy', kind: 'TOPIC' },
  { slug: 'inflation', name: 'Inflation', kind: 'TOPIC' },
  { slug: 'monetary-policy', name: 'Monetary policy', kind: 'TOPIC' },
  { slug: 'ramazan', name: 'Ramazan', kind: 'TOPIC' },
  { slug: 'terrorism', name: 'Terrorism', kind: 'TOPIC' },
  { slug: 'narcotics', name: 'Narcotics', kind: 'TOPIC' },
  { slug: 'parliament', name: 'Parliament', kind: 'TOPIC' },
  { slug: 'human-rights', name: 'Human rights', kind: 'TOPIC' },
  { slug: 'climate-change', name: 'Climate change', kind: 'TOPIC' },
  { slug: 'water', name: 'Water', kind: 'TOPIC' },
  { slug: 'energy', name: 'Energy', kind: 'TOPIC' },
  { slug: 'health', name: 'Health', kind: 'TOPIC' },
  { slug: 'education', name: 'Education', kind: 'TOPIC' },
  { slug: 'cricket', name: 'Cricket', kind: 'TOPIC' },
  { slug: 'hockey', name: 'Hockey', kind: 'TOPIC' },
  { slug: 'books', name: 'Books', kind: 'TOPIC' },
  { slug: 'film', name: 'Film', kind: 'TOPIC' },
  // Organisations
  { slug: 'deepseek', name: 'DeepSeek', kind: 'ORGANISATION' },
  { slug: 'nvidia', name: 'Nvidia', kind: 'ORGANISATION' },
  { slug: 'national-assembly', name: 'National Assembly', kind: 'ORGANISATION' },
  { slug: 'state-bank-of-pakistan', name: 'State Bank of Pakistan', kind: 'ORGANISATION' },
  { slug: 'imf', name: 'International Monetary Fund', kind: 'ORGANISATION' },
  { slug: 'pcb', name: 'Pakistan Cricket Board', kind: 'ORGANISATION' },
  { slug: 'united-nations', name: 'United Nations', kind: 'ORGANISATION' },
  { slug: 'european-union', name: 'European Union', kind: 'ORGANISATION' },
  // People (the two leaders are only named in passing; the others are invented for the demo)
  { slug: 'xi-jinping', name: 'Xi Jinping', kind: 'PERSON' },
  { slug: 'donald-trump', name: 'Donald Trump', kind: 'PERSON' },
  { slug: 'saad-anwar', name: 'Saad Anwar', kind: 'PERSON' },
  { slug: 'mehreen-qadir', name: 'Mehreen Qadir', kind: 'PERSON' },
];

const img = (path: string) => `https://media.example.com/2025/${path}`;

export const media: DemoMedia[] = [
  {
    key: 'ai-expo-beijing',
    url: img('03/01/ai-expo-beijing.jpg'),
    caption: 'Visitors look at a humanoid robot at an artificial intelligence exhibition in Beijing. — File photo',
    credit: 'Reuters',
    altText: 'Visitors photograph a humanoid robot on a stage at a technology exhibition',
    width: 1600,
    height: 1067,
  },
  {
    key: 'chip-wafer',
    url: img('02/24/chip-wafer.jpg'),
    caption: 'A worker holds a silicon wafer at a semiconductor plant. — File photo',
    credit: 'Reuters',
    altText: 'Gloved hands holding a reflective silicon wafer',
    width: 1600,
    height: 1067,
  },
  {
    key: 'karachi-startup',
    url: img('02/24/karachi-startup.jpg'),
    caption: 'Engineers at a start-up in Karachi test a language model on local-language queries.',
    credit: 'Omar Farooq / The Meridian',
    altText: 'Three engineers look at code on a large monitor in an open-plan office',
    width: 1600,
    height: 1067,
  },
  {
    key: 'lions-celebrate',
    url: img('02/23/lions-celebrate.jpg'),
    caption: 'Lahore Lions players celebrate the winning hit in the final.',
    credit: 'Omar Farooq / The Meridian',
    altText: 'Cricketers in green run onto the field with their arms raised',
    width: 1600,
    height: 1000,
  },
  {
    key: 'peshawar-books',
    url: img('02/27/peshawar-books.jpg'),
    caption: 'A binder stitches the spine of a ledger in a shop in Peshawar’s old city.',
    credit: 'Omar Farooq / The Meridian',
    altText: 'An elderly man bent over a wooden press stitching a book',
    width: 1600,
    height: 1067,
  },
  {
    key: 'nowshera-seminary',
    url: img('02/28/nowshera-seminary.jpg'),
    caption: 'Security personnel cordon off the road outside the seminary after the blast.',
    credit: 'AFP',
    altText: 'Police officers stand behind a tape cordon on a road',
    width: 1600,
    height: 1067,
  },
  {
    key: 'karachi-film-festival',
    url: img('02/28/karachi-film-festival.jpg'),
    caption: 'Guests arrive for the opening night of the film festival in Karachi.',
    credit: 'Zainab Hussain / The Meridian',
    altText: 'People walk along a red carpet outside a cinema lit at night',
    width: 1600,
    height: 900,
  },
  {
    key: 'karakoram-road',
    url: img('03/01/karakoram-road.jpg'),
    caption: 'The Karakoram Highway winds along the Hunza river in late winter.',
    credit: 'Rafia Zaman',
    altText: 'A mountain road beside a river under snow-covered peaks',
    width: 1600,
    height: 900,
  },
  {
    key: 'ramazan-market',
    url: img('02/27/ramazan-market.jpg'),
    caption: 'Shoppers buy dates at a wholesale market in Karachi ahead of Ramazan.',
    credit: 'Omar Farooq / The Meridian',
    altText: 'Crowded market stalls stacked with boxes of dates',
    width: 1600,
    height: 1067,
  },
  {
    key: 'water-tanker',
    url: img('02/23/water-tanker.jpg'),
    caption: 'A water tanker fills up at a hydrant in Karachi.',
    credit: 'Sana Baloch / The Meridian',
    altText: 'A blue water tanker parked under a pipe at a filling point',
    width: 1600,
    height: 1067,
  },
  {
    key: 'national-assembly',
    url: img('02/24/national-assembly.jpg'),
    caption: 'A view of the Parliament House in Islamabad. — File photo',
    credit: 'The Meridian',
    altText: 'The white facade of the Parliament House building',
    width: 1600,
    height: 1000,
  },
  {
    key: 'data-centre',
    url: img('02/26/data-centre.jpg'),
    caption: 'Server racks at a data centre. — File photo',
    credit: 'AP',
    altText: 'Rows of server racks with blinking lights in a dark hall',
    width: 1600,
    height: 1067,
  },
  {
    key: 'unpublished-lab',
    url: img('02/28/hangzhou-office.jpg'),
    caption: 'An office building in Hangzhou. — File photo',
    credit: 'Reuters',
    altText: 'A glass office tower at dusk',
    width: 1600,
    height: 1067,
  },
];

const pkt = (local: string) => `${local}:00+05:00`;

/** The story the sample page is built around. */
const mainStory: DemoArticle = {
  slug: MAIN_STORY_SLUG,
  headline: 'China tells its AI leaders to avoid US travel over security concerns: report',
  summary:
    'Beijing fears AI leaders travelling to the US could be detained or share confidential information, the Wall Street Journal reported.',
  body: [
    'China has told its leading artificial intelligence entrepreneurs and researchers to avoid travelling to the United States unless it is essential, the Wall Street Journal reported on Friday, citing people familiar with the matter.',
    'Officials are concerned that executives and scientists could disclose confidential details of the country’s progress in the technology while abroad, or be detained and used as leverage in negotiations between Beijing and Washington, the newspaper said.',
    'Those who do travel have been asked to report their plans to the authorities before they leave and, on their return, to describe what they did and whom they met, according to the report.',
    'Reuters could not immediately verify the report. China’s foreign ministry did not immediately respond to a request for comment outside office hours.',
    'The guidance is not a formal ban, the Journal reported, and some executives have continued to make business trips after receiving approval.',
    'It reflects how Beijing has come to treat artificial intelligence as a question of national security as well as an economic priority, as competition with the United States over advanced chips and models sharpens.',
    'The rapid rise of Hangzhou-based start-up DeepSeek, whose low-cost model drew worldwide attention in January, has raised the profile of the country’s AI developers at home and abroad.',
    '“These people are now treated as strategic assets,” said Lin Haoran, who studies technology policy at a university in Shanghai. “When something is strategic, the state wants to know where it is and who it is talking to.”',
    ':::pullquote{by="Lin Haoran"}\nWhen something is strategic, the state wants to know where it is and who it is talking to.\n:::',
    'One prominent founder declined an invitation to an international AI summit in Europe last month, the newspaper said, without giving a reason.',
    'Washington has restricted sales of advanced semiconductors to China in recent years and is weighing further curbs, citing the risk that the chips could be put to military use. Beijing has described the measures as an abuse of export controls.',
    '![A silicon wafer at a semiconductor plant: advanced chips are at the centre of the dispute.](media:chip-wafer "Reuters")',
    '“Both capitals now talk about AI the way they once talked about nuclear physics,” said Maria Alvarez, a fellow at a Washington research institute. “Scientists who travel are the first to get caught in the middle.”',
    'Chinese researchers have also reported facing longer questioning when entering the United States, and several academic conferences have seen fewer participants from mainland institutions this year.',
  ],
  kind: 'NEWS',
  status: 'PUBLISHED',
  section: 'asia',
  byline: [{ author: 'reuters', role: 'AGENCY' }],
  tags: ['china', 'united-states', 'artificial-intelligence', 'deepseek', 'national-security', 'travel'],
  dateline: 'BEIJING',
  hero: 'ai-expo-beijing',
  publishedAt: '2025-03-01T06:10:00+05:00',
  updatedAt: '2025-03-01T12:39:00+05:00',
  corrections: [
    {
      text: 'An earlier version of this story misstated the city where DeepSeek is based. It is Hangzhou.',
      at: '2025-03-01T12:39:00+05:00',
    },
  ],
  front: true,
};

const editorial = (
  slug: string,
  headline: string,
  summary: string,
  body: string[],
  tags: string[],
  publishedAt: string,
  updatedAt?: string,
): DemoArticle => ({
  slug,
  headline,
  summary,
  body,
  kind: 'EDITORIAL',
  status: 'PUBLISHED',
  section: 'editorial',
  byline: [{ author: 'editorial-board', role: 'AUTHOR' }],
  tags,
  publishedAt,
  updatedAt,
});

/** The six editorials of the sample page, newest first. */
export const editorials: DemoArticle[] = [
  editorial(
    'exceptional-assembly',
    'Exceptional Assembly',
    'A year in, the National Assembly has passed laws at a record pace — and debated almost none of them properly.',
    [
      'The National Assembly completes its first parliamentary year with a record it will be tempted to celebrate: more bills passed than in any comparable year in recent memory. The number deserves a closer look before anyone takes credit for it.',
      'Several of the most consequential laws went from introduction to approval in a matter of days. Standing committees, which exist to examine legislation line by line, were bypassed or given hours rather than weeks. Amendments proposed by the opposition were voted down without being read out.',
      'Speed is not a virtue in lawmaking. A statute that has not been tested in committee is a statute that will be tested in court instead, at greater cost and with less certainty. The house has also left whole areas — local government, data protection, the budget process itself — to ordinances and executive notices.',
      'An exceptional Assembly would be one that made the government explain itself. The second year is a chance to start: committee referrals should be the rule, not a courtesy, and no bill should be taken up on the day it is tabled.',
    ],
    ['national-assembly', 'parliament', 'pakistan'],
    pkt('2025-03-01T07:03'),
    pkt('2025-03-01T10:45'),
  ),
  editorial(
    'haqqania-bombing',
    'Haqqania bombing',
    'The attack on a seminary during Friday prayers is a warning that the militant threat in the northwest is growing, not receding.',
    [
      'Friday’s suicide bombing at a seminary in Akora Khattak, carried out as worshippers gathered for prayers, is among the most brazen attacks in Khyber Pakhtunkhwa in recent months. Our condolences are with the families of those killed and with the many who were wounded.',
      'The choice of target matters. An attack on a large religious institution is meant to show that no place is beyond reach, and to provoke anger that militants can exploit. It comes as attacks on police and security forces across the province have risen steadily.',
      'The response cannot be limited to condemnation and compensation. The provincial and federal governments must work together rather than trade blame; counter-terrorism departments need investigators and forensic capacity, not just more checkpoints.',
      'Above all, the state must be honest with the public about the scale of the threat. A strategy that the people of the province cannot see is not one they can be asked to trust.',
    ],
    ['terrorism', 'khyber-pakhtunkhwa', 'national-security'],
    pkt('2025-03-01T07:02'),
    pkt('2025-03-01T11:20'),
  ),
  editorial(
    'blood-and-drugs',
    'Blood and drugs',
    'Record seizures show how large the narcotics trade has grown, and how closely it is tied to violence along the western border.',
    [
      'The anti-narcotics force’s latest seizure in Balochistan is impressive by any measure. It is also a reminder of how much passes through undetected: for every consignment intercepted, officials privately concede, several more reach their markets.',
      'The money from this trade does not stay with smugglers. It buys weapons, pays fighters and corrupts the officials who are supposed to stop it. Where the drug routes run, violence follows.',
      'Seizures make headlines; convictions are rarer. Prosecutors need better evidence-handling and courts need to hear these cases quickly. Treatment for the growing number of addicts in our cities remains an afterthought.',
    ],
    ['narcotics', 'balochistan', 'national-security'],
    pkt('2025-03-01T07:01'),
  ),
  editorial(
    'no-remorse',
    'No remorse',
    'A court hearing in which the accused showed no hint of regret should prompt a hard look at how we protect child domestic workers.',
    [
      'The hearing this week in the case of a child domestic worker beaten by her employers was hard to watch. The accused laughed with their lawyers; the girl, now in a shelter, could not attend.',
      'It is not the first such case and, unless the law is enforced, it will not be the last. Employing children in homes is already banned in the capital and in some provinces, yet the practice continues in plain sight, protected by the belief that what happens inside a house is a private matter.',
      'Provinces that have not banned child domestic labour should do so. Those that have should inspect, prosecute and publish the results. Remorse cannot be legislated, but accountability can.',
    ],
    ['human-rights', 'pakistan'],
    pkt('2025-02-28T07:03'),
    pkt('2025-02-28T09:30'),
  ),
  editorial(
    'affordable-ramazan',
    'Affordable Ramazan',
    'Price control committees return every Ramazan; this year they should be judged by what families actually pay.',
    [
      'With Ramazan days away, district administrations have announced price lists, inspection teams and subsidised stalls. Families will be forgiven for a sense of déjà vu: the same announcements are made every year, and every year the price of essentials climbs in the first week of the month.',
      'Inflation has slowed sharply over the past year, which gives the authorities a better chance than usual. The problem is less the headline rate than the margins taken between wholesale markets and neighbourhood shops, and the hoarding that precedes every festival.',
      'Publishing daily wholesale and retail prices for a short list of staples, city by city, would do more than fines ever have. Shoppers can then judge for themselves — and so can the governments that promise them relief.',
    ],
    ['ramazan', 'inflation', 'economy'],
    pkt('2025-02-28T07:02'),
  ),
  editorial(
    'grotesque-vision',
    'Grotesque vision',
    'Imagining Gaza as a beach resort, emptied of the people who live there, is not a peace plan.',
    [
      'An AI-generated video circulated by the American president this week shows Gaza rebuilt as a resort of towers and gold statues. It has been defended as a joke. It is difficult to find the humour.',
      'The people of Gaza have endured more than a year of bombardment, displacement and hunger. Any plan that begins by removing them from their land, voluntarily or otherwise, is a plan for another catastrophe.',
      'The region’s governments have rejected the idea; they should now put forward a credible reconstruction plan of their own, one that keeps Gazans in Gaza and puts the ceasefire on a firmer footing.',
    ],
    ['gaza', 'united-states', 'donald-trump'],
    pkt('2025-02-28T07:01'),
  ),
];

const story = (a: Omit<DemoArticle, 'status'> & { status?: ArticleStatus }): DemoArticle => ({ status: 'PUBLISHED', ...a });

/** The rest of the week's published stories, oldest first. */
export const stories: DemoArticle[] = [
  // ── Sunday, 23 February ────────────────────────────────────────────────
  story({
    slug: 'budget-choices-no-one-wants-to-make',
    headline: 'The budget choices no one wants to make',
    summary: 'Every government promises to widen the tax net. The next budget will show whether this one means it.',
    body: [
      'Budget season has begun in earnest, and with it the familiar ritual: ministries submit their demands, the finance ministry pencils in a revenue target nobody believes, and the hard questions are left for the last week.',
      'The hard questions are not secret. Retailers, property and agriculture still pay far less than their share of the economy would suggest. Salaried workers and manufacturers carry the load.',
      'The IMF programme gives the government cover to do the unpopular things. It would be a mistake to waste that cover on yet another round of higher rates on the people who already pay.',
    ],
    kind: 'OPINION',
    section: 'columns',
    byline: [{ author: 'khalid-mansoor', role: 'AUTHOR' }],
    tags: ['economy', 'imf'],
    publishedAt: pkt('2025-02-23T07:00'),
  }),
  story({
    slug: 'imf-mission-begins-review-talks',
    headline: 'IMF mission to begin first review of loan programme',
    summary: 'Officials expect talks on revenue shortfalls and energy subsidies to dominate the two-week visit.',
    body: [
      'A staff mission from the International Monetary Fund is due in Islamabad next week to begin the first review of the country’s loan programme, finance ministry officials said on Sunday.',
      'The review will examine whether targets agreed last year have been met. Revenue collection has fallen short of the goal for the first half of the fiscal year, while the fiscal deficit has been kept within limits.',
      '“The numbers are broadly on track, but the Fund will want to see how we close the revenue gap,” said one official, who asked not to be named because the talks have not begun.',
      'A successful review would release the next tranche of the loan and, economists say, help the government’s plans to return to international bond markets.',
    ],
    kind: 'NEWS',
    section: 'business',
    byline: [{ author: 'farah-naqvi', role: 'REPORTER' }],
    tags: ['imf', 'economy', 'pakistan'],
    dateline: 'ISLAMABAD',
    publishedAt: pkt('2025-02-23T10:15'),
  }),
  story({
    slug: 'karachi-tanker-water-rates',
    headline: 'Karachi residents pay more for tanker water as supply lines run dry',
    summary: 'In neighbourhoods without piped water, households say they now spend a tenth of their income on tankers.',
    body: [
      'In parts of Karachi’s western districts, the taps have been dry for weeks. Residents say the only reliable supply now arrives on the back of a lorry.',
      'The price of a tanker has risen by nearly a third since December, according to households and operators interviewed by The Meridian. Officials blame a fall in the level of reservoirs and illegal connections on the main lines.',
      '“We collect money from every family on the street and order one tanker between six houses,” said Shabana Bibi, a schoolteacher in Orangi. “It lasts four days if we are careful.”',
      'The water utility says repairs to two pumping stations will be finished before summer. Residents have heard similar promises before.',
    ],
    kind: 'FEATURE',
    section: 'pakistan',
    byline: [{ author: 'sana-baloch', role: 'REPORTER' }],
    tags: ['karachi', 'water'],
    dateline: 'KARACHI',
    hero: 'water-tanker',
    publishedAt: pkt('2025-02-23T12:40'),
  }),
  story({
    slug: 'gaza-aid-convoys-resume',
    headline: 'Aid convoys resume into Gaza after two-day halt',
    summary: 'UN agencies said trucks carrying food and medicine crossed again after a pause blamed on security checks.',
    body: [
      'Aid trucks resumed crossing into Gaza on Sunday after a two-day halt, United Nations agencies said, as relief groups warned that supplies of fuel and medicine remained far below what was needed.',
      'The pause had been blamed on delays in security inspections at the crossing. Dozens of trucks carrying flour, tents and medical supplies passed through by midday, aid workers said.',
      '“Every day without trucks is a day families go without,” said a spokesperson for one of the agencies. “The ceasefire has to mean a steady flow, not stop and start.”',
    ],
    kind: 'NEWS',
    section: 'middle-east',
    byline: [{ author: 'ap', role: 'AGENCY' }],
    tags: ['gaza', 'united-nations'],
    dateline: 'CAIRO',
    publishedAt: pkt('2025-02-23T15:20'),
  }),
  story({
    slug: 'eu-ministers-back-ukraine-aid',
    headline: 'EU ministers back new aid package ahead of war anniversary',
    summary: 'Foreign ministers agreed further military and energy support for Ukraine, though divisions remain over its size.',
    body: [
      'European Union foreign ministers agreed on Sunday to a new package of military and energy aid for Ukraine, on the eve of the third anniversary of Russia’s full-scale invasion.',
      'Diplomats said the package included air-defence equipment and funding for repairs to the power grid, but that several member states had resisted a larger commitment.',
      'The meeting came amid uncertainty over Washington’s approach to the war, and calls from several capitals for Europe to take on a greater share of support.',
    ],
    kind: 'NEWS',
    section: 'europe',
    byline: [{ author: 'afp', role: 'AGENCY' }],
    tags: ['ukraine', 'european-union'],
    dateline: 'BRUSSELS',
    publishedAt: pkt('2025-02-23T18:05'),
  }),
  story({
    slug: 'lahore-lions-clinch-t20-title',
    headline: 'Lahore Lions clinch club T20 title with last-ball six',
    summary: 'Saad Anwar’s unbeaten cameo sealed a two-wicket win in a final that swung back and forth all evening.',
    body: [
      'Lahore Lions won the national club Twenty20 title on Sunday, chasing down 187 off the last ball of the final against Karachi Mariners in front of a full house at the Gaddafi Stadium.',
      'Needing five off the final delivery, Saad Anwar, better known for his fast bowling, cleared the long-on boundary to set off celebrations on the ground.',
      '“I was only trying to hit it hard,” Anwar said afterwards. “The captain told me to watch the ball and forget the scoreboard.”',
      'Mariners had posted 186 for six after a rapid half-century from their opener, and looked in control when the Lions slipped to 120 for six in the 15th over.',
    ],
    kind: 'NEWS',
    section: 'sport',
    byline: [
      { author: 'bilal-chaudhry', role: 'REPORTER' },
      { author: 'omar-farooq', role: 'PHOTOGRAPHER' },
    ],
    tags: ['cricket', 'lahore', 'saad-anwar'],
    dateline: 'LAHORE',
    hero: 'lions-celebrate',
    publishedAt: pkt('2025-02-23T21:30'),
  }),

  // ── Monday, 24 February ────────────────────────────────────────────────
  story({
    slug: 'letters-street-lights-school-fees',
    headline: 'Letters: Street lights, school fees and a missing bus route',
    summary: 'Readers write about dark roads in Gulberg, fee increases at private schools and a route that disappeared.',
    body: [
      '**Dark roads.** For three months the street lights on our road have not worked. Complaints to the municipal office are acknowledged and forgotten. Someone will be hurt before anything is done. — *A resident, Lahore*',
      '**Fees again.** My children’s school has raised its fees for the second time this academic year, citing “operational costs”. The regulator’s cap appears to exist only on paper. — *A parent, Karachi*',
      '**Where is the bus?** The feeder route that connected our area to the main bus line was quietly withdrawn in January. Commuters now pay three times as much for rickshaws. — *A reader, Islamabad*',
    ],
    kind: 'OPINION',
    section: 'letters',
    byline: [{ author: 'letters-desk', role: 'EDITOR' }],
    tags: ['education', 'lahore', 'karachi'],
    publishedAt: pkt('2025-02-24T07:00'),
  }),
  story({
    slug: 'us-weighs-tighter-ai-chip-curbs-china',
    headline: 'US weighs tighter curbs on AI chip sales to China',
    summary: 'Officials are discussing limits on a wider range of chips, people familiar with the talks said.',
    body: [
      'US officials are considering tightening restrictions on sales of artificial intelligence chips to China, including some less advanced products that are currently allowed, according to people familiar with the discussions.',
      'The talks follow concerns in Washington that Chinese companies have been able to build competitive AI models using chips that fall just below existing thresholds.',
      'Any new rules would add to a series of export controls introduced since 2022 and could hit the revenue of US chipmakers, which sell a large share of their products to Chinese customers.',
      '“The question is no longer whether to restrict, but where to draw the line,” said Daniel Cho, a trade lawyer in Washington who advises technology companies.',
      'China’s commerce ministry has said it firmly opposes the restrictions and will take measures to protect the rights of its companies.',
    ],
    kind: 'NEWS',
    section: 'americas',
    byline: [{ author: 'reuters', role: 'AGENCY' }],
    tags: ['united-states', 'china', 'semiconductors', 'national-security', 'artificial-intelligence', 'nvidia'],
    dateline: 'WASHINGTON',
    hero: 'chip-wafer',
    publishedAt: pkt('2025-02-24T09:05'),
    front: true,
  }),
  story({
    slug: 'polio-drive-begins-khyber-pakhtunkhwa',
    headline: 'Week-long polio drive begins across Khyber Pakhtunkhwa',
    summary: 'More than 20,000 vaccinators will go door to door, with police escorts in districts where teams have been attacked.',
    body: [
      'A week-long polio vaccination campaign began across Khyber Pakhtunkhwa on Monday, with health officials aiming to reach several million children under the age of five.',
      'Police will escort teams in districts where vaccinators have been attacked in the past, the provincial health department said.',
      '“Refusals have come down, but they have not gone away,” said Dr Asma Khattak, who oversees the campaign in Peshawar. “Every child we miss is a door left open for the virus.”',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [{ author: 'imran-qureshi', role: 'REPORTER' }],
    tags: ['health', 'khyber-pakhtunkhwa', 'peshawar'],
    dateline: 'PESHAWAR',
    publishedAt: pkt('2025-02-24T11:30'),
  }),
  story({
    slug: 'karachi-startups-bet-on-open-source-ai',
    headline: 'Karachi start-ups bet on open-source AI to cut costs',
    summary: 'Cheaper open models have let small teams build products that would have been unaffordable a year ago.',
    body: [
      'In a converted warehouse in Karachi’s Korangi industrial area, a team of nine engineers is building a customer-service assistant that answers in Urdu, Sindhi and English. A year ago, they say, the project would have been out of reach.',
      'The change is the arrival of capable open-source models — including those released by China’s DeepSeek — that can be run on rented servers at a fraction of the cost of commercial services.',
      '“Our whole bill for computing is now less than one engineer’s salary,” said Hira Siddiqi, the company’s co-founder. “That changes what a small team can try.”',
      'What the cheaper models changed, according to the founders:',
      '- **Cost**: computing bills fell to a fraction of what commercial services charge\n- **Languages**: models can be tuned for *Urdu* and *Sindhi* on local data\n- **Control**: data can stay on servers the company rents in the country',
      '::embed[A founder demonstrates the Urdu assistant.]{url="https://www.youtube.com/watch?v=M7lc1UVf-VE"}',
      '## The catch',
      'Investors remain cautious, and engineers warn that open models still struggle with local languages and need careful testing. Questions about where data is stored have also made some banks and hospitals hesitant to sign contracts.',
      'Still, at least a dozen start-ups in the city are now building on open models, according to a local industry association, up from a handful last year.',
    ],
    kind: 'FEATURE',
    section: 'technology',
    byline: [
      { author: 'nadia-rehman', role: 'REPORTER' },
      { author: 'omar-farooq', role: 'PHOTOGRAPHER' },
    ],
    tags: ['artificial-intelligence', 'deepseek', 'karachi'],
    dateline: 'KARACHI',
    hero: 'karachi-startup',
    publishedAt: pkt('2025-02-24T14:00'),
  }),
  story({
    slug: 'rupee-steady-remittances-ramazan',
    headline: 'Rupee steady as remittances hold up ahead of Ramazan',
    summary: 'Dealers expect inflows from overseas workers to keep the currency stable through March.',
    body: [
      'The rupee was little changed against the dollar on Monday, with currency dealers pointing to strong remittances from workers abroad ahead of Ramazan.',
      'Inflows usually rise before the holy month and Eid, and bankers said February’s figures were on course to exceed last year’s.',
      '“There is no pressure on the interbank market for now,” said a treasury official at a commercial bank. “Import payments are manageable.”',
    ],
    kind: 'NEWS',
    section: 'business',
    byline: [{ author: 'farah-naqvi', role: 'REPORTER' }],
    tags: ['economy', 'ramazan'],
    dateline: 'KARACHI',
    publishedAt: pkt('2025-02-24T17:10'),
  }),
  story({
    slug: 'opposition-walks-out-power-tariff-debate',
    headline: 'Opposition walks out as National Assembly debates power tariffs',
    summary: 'Lawmakers accused the government of loading the cost of idle power plants onto consumers.',
    body: [
      'Opposition members walked out of the National Assembly on Monday during a debate on electricity tariffs, accusing the government of passing the cost of unused power plants on to households.',
      'The energy minister told the house that negotiations with independent power producers had already reduced future payments and that relief for consumers would follow.',
      '“People cannot pay their bills, and the government is asking them to wait,” an opposition lawmaker said before leading the walkout.',
      'The house later adjourned until Wednesday.',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [{ author: 'hamza-siddiqui', role: 'REPORTER' }],
    tags: ['national-assembly', 'energy', 'parliament'],
    dateline: 'ISLAMABAD',
    hero: 'national-assembly',
    publishedAt: pkt('2025-02-24T19:45'),
  }),

  // ── Tuesday, 25 February ───────────────────────────────────────────────
  story({
    slug: 'rights-in-the-age-of-the-camera',
    headline: 'Rights in the age of the camera',
    summary: 'Facial recognition is arriving in our cities without a law to govern it.',
    body: [
      'The safe city cameras on our main roads are being upgraded with facial recognition. No law says who may use the data, for how long it may be kept, or how a citizen may challenge a mistaken match.',
      'The constitution protects the privacy of the home. It was written before anyone imagined that a person’s movements across a city could be reconstructed in minutes.',
      'Security is a legitimate aim. But a system that can identify anyone, anywhere, should be authorised by parliament and overseen by someone other than those who operate it.',
    ],
    kind: 'OPINION',
    section: 'columns',
    byline: [{ author: 'maryam-aziz', role: 'AUTHOR' }],
    tags: ['human-rights', 'national-security', 'artificial-intelligence'],
    publishedAt: pkt('2025-02-25T07:00'),
  }),
  story({
    slug: 'beijing-tech-champions-strategic-assets',
    headline: 'Analysis: Beijing’s tech champions become strategic assets',
    summary: 'Success has brought China’s AI companies closer attention from the state, and tighter rules on what they can share.',
    body: [
      'For years, China’s technology companies were encouraged to go global. The country’s most successful AI developers are now being told something closer to the opposite.',
      'Recent guidance to some firms has asked them to keep core research teams in China and to clear overseas partnerships with the authorities, according to executives and analysts.',
      '“The state has realised it has something valuable, and it is acting like it,” said Zhou Min, an analyst at a consultancy in Hong Kong.',
      'The shift mirrors Washington’s own approach of treating advanced chips and models as matters of national security, leaving researchers on both sides with fewer opportunities to work together.',
    ],
    kind: 'ANALYSIS',
    section: 'asia',
    byline: [{ author: 'afp', role: 'AGENCY' }],
    tags: ['china', 'artificial-intelligence', 'national-security', 'deepseek'],
    dateline: 'HONG KONG',
    hero: 'data-centre',
    publishedAt: pkt('2025-02-25T10:00'),
  }),
  story({
    slug: 'lahore-air-quality-improves',
    headline: 'Lahore breathes easier as air quality improves, but experts warn of next winter',
    summary: 'Pollution readings have fallen to their lowest since October, but no lasting fix is in place.',
    body: [
      'Air quality in Lahore has improved to its best level since October, according to provincial monitoring data, bringing relief after a winter of hazardous smog.',
      'Environmental scientists warned that the improvement was largely due to rain and wind, and that emissions from traffic, brick kilns and crop burning had not changed.',
      '“The weather has done the work, not policy,” said Dr Usman Javed, an atmospheric scientist at a Lahore university. “If nothing changes by October, we will be back here.”',
    ],
    kind: 'NEWS',
    section: 'news',
    byline: [{ author: 'ali-raza', role: 'REPORTER' }],
    tags: ['lahore', 'climate-change', 'health'],
    dateline: 'LAHORE',
    publishedAt: pkt('2025-02-25T13:15'),
  }),
  story({
    slug: 'central-bank-expected-to-pause-rate-cuts',
    headline: 'Analysts expect central bank to pause rate cuts',
    summary: 'After a year of easing, most economists polled see the policy rate unchanged at the next meeting.',
    body: [
      'The State Bank of Pakistan is expected to keep its policy rate unchanged at its next meeting, according to most analysts polled, after cutting rates sharply over the past year.',
      'Inflation has fallen to its lowest level in several years, but economists said the central bank would want to see how food prices behave during Ramazan and how the current account holds up.',
      '“The easy part of the cycle is over,” said Khalid Mansoor, an economist. “From here, every cut will be argued over.”',
    ],
    kind: 'ANALYSIS',
    section: 'business',
    byline: [
      { author: 'farah-naqvi', role: 'REPORTER' },
      { author: 'reuters', role: 'AGENCY' },
    ],
    tags: ['state-bank-of-pakistan', 'monetary-policy', 'inflation'],
    dateline: 'KARACHI',
    publishedAt: pkt('2025-02-25T16:40'),
  }),
  story({
    slug: 'students-weigh-travel-as-us-reviews-visas',
    headline: 'Students abroad weigh travel plans as US reviews visa rules',
    summary: 'Universities have advised some international students to avoid leaving the country during the review.',
    body: [
      'Several US universities have advised international students to think carefully before travelling abroad while the government reviews visa and entry rules, according to guidance seen by The Associated Press.',
      'The advice follows reports of longer questioning at airports and uncertainty over which countries could face new restrictions.',
      '“Nobody knows what the rules will be in two months,” said a graduate student from Lahore studying in Boston, who asked not to be named. “So I am staying put this spring.”',
    ],
    kind: 'NEWS',
    section: 'americas',
    byline: [{ author: 'ap', role: 'AGENCY' }],
    tags: ['united-states', 'travel', 'education'],
    dateline: 'NEW YORK',
    publishedAt: pkt('2025-02-25T18:30'),
  }),
  story({
    slug: 'teenager-wins-junior-squash-title',
    headline: 'Teenager wins national junior squash title in Islamabad',
    summary: 'The 15-year-old from Peshawar came from two games down to win the under-17 final.',
    body: [
      'A 15-year-old from Peshawar won the national under-17 squash title in Islamabad on Tuesday, recovering from two games down in the final.',
      'Coaches said the result was further evidence of a revival in junior squash in the province that produced many of the country’s champions.',
      '“I told myself to play one point at a time,” the winner said. “In the third game I started to feel the ball.”',
    ],
    kind: 'NEWS',
    section: 'sport',
    byline: [{ author: 'bilal-chaudhry', role: 'REPORTER' }],
    tags: ['islamabad', 'peshawar'],
    dateline: 'ISLAMABAD',
    publishedAt: pkt('2025-02-25T20:00'),
  }),

  // ── Wednesday, 26 February ─────────────────────────────────────────────
  story({
    slug: 'traders-count-losses-torkham-shut',
    headline: 'Traders count losses as Torkham crossing stays shut',
    summary: 'Hundreds of lorries are stranded on both sides of the border as talks to reopen it continue.',
    body: [
      'Hundreds of lorries loaded with fruit, vegetables and coal remained stranded on Wednesday on both sides of the Torkham border crossing, which has been closed to trade for several days.',
      'Traders said perishable goods were spoiling and that drivers were running out of money for food.',
      '“Every day we lose, and nobody tells us when it will open,” said Gul Rehman, who exports vegetables from Peshawar.',
      'Officials on both sides said talks were continuing at the local level.',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [{ author: 'imran-qureshi', role: 'REPORTER' }],
    tags: ['afghanistan', 'trade', 'khyber-pakhtunkhwa'],
    dateline: 'LANDI KOTAL',
    publishedAt: pkt('2025-02-26T09:45'),
  }),
  story({
    slug: 'chinese-carmaker-plans-karachi-plant',
    headline: 'Chinese carmaker plans assembly plant near Karachi',
    summary: 'The company says it will assemble electric and hybrid vehicles locally from next year.',
    body: [
      'A Chinese carmaker plans to open an assembly plant near Karachi to build electric and hybrid vehicles for the local market, company representatives said on Wednesday.',
      'The plant would begin with imported kits and increase the share of locally made parts over time. The company did not disclose the size of the investment.',
      'Industry officials said new-energy vehicles remained expensive for most buyers, but that falling battery prices and tax incentives could change that within a few years.',
    ],
    kind: 'NEWS',
    section: 'business',
    byline: [{ author: 'farah-naqvi', role: 'REPORTER' }],
    tags: ['china', 'trade', 'karachi'],
    dateline: 'KARACHI',
    publishedAt: pkt('2025-02-26T12:00'),
  }),
  story({
    slug: 'review-a-river-of-salt',
    headline: 'Review: ‘A River of Salt’ maps a family across three generations',
    summary: 'Mehreen Qadir’s second novel is patient, generous and, in its final chapters, devastating.',
    body: [
      'Mehreen Qadir’s second novel begins in a village on the Indus delta, where the river has begun to turn salty, and ends in a Karachi flat where a grandmother can no longer remember the village at all.',
      'Between the two, Qadir follows a family through migration, marriage and loss without ever raising her voice. The prose is plain; the effect is anything but.',
      'Some readers will find the middle section slow. Stay with it: the last fifty pages repay every one that came before.',
    ],
    kind: 'REVIEW',
    section: 'culture',
    byline: [{ author: 'zainab-hussain', role: 'AUTHOR' }],
    tags: ['books', 'mehreen-qadir', 'water'],
    publishedAt: pkt('2025-02-26T15:00'),
  }),
  story({
    slug: 'uncapped-pacer-named-in-squad',
    headline: 'Selectors name uncapped pacer in squad for home series',
    summary: 'Saad Anwar’s domestic form earns him a first call-up; two senior batters are left out.',
    body: [
      'Fast bowler Saad Anwar was named in the national squad for the upcoming home series on Wednesday, rewarded for a season in which he took the most wickets in domestic first-class cricket.',
      'The Pakistan Cricket Board’s selectors left out two senior batters, saying they wanted to give younger players a run before the next major tournament.',
      '“He bowls quick and he bowls straight,” the chief selector said of Anwar. “That is a good start.”',
    ],
    kind: 'NEWS',
    section: 'sport',
    byline: [{ author: 'bilal-chaudhry', role: 'REPORTER' }],
    tags: ['cricket', 'pcb', 'saad-anwar'],
    dateline: 'LAHORE',
    publishedAt: pkt('2025-02-26T19:20'),
  }),
  story({
    slug: 'cairo-talks-ceasefire-next-phase',
    headline: 'Negotiators meet in Cairo as ceasefire’s next phase hangs in balance',
    summary: 'Mediators are trying to agree the terms of a second phase before the current truce expires.',
    body: [
      'Negotiators gathered in Cairo on Wednesday for talks on the next phase of the Gaza ceasefire, with mediators warning that time was running short before the current truce expires.',
      'The first phase has seen exchanges of hostages and prisoners and an increase in aid deliveries. The second is meant to address a permanent end to the fighting and the withdrawal of troops.',
      'Diplomats said the gaps between the two sides remained wide.',
    ],
    kind: 'NEWS',
    section: 'middle-east',
    byline: [{ author: 'afp', role: 'AGENCY' }],
    tags: ['gaza', 'united-nations'],
    dateline: 'CAIRO',
    publishedAt: pkt('2025-02-26T21:00'),
  }),
  story({
    slug: 'chipmaker-results-ai-demand-holds',
    headline: 'Chipmaker’s results show AI demand holding despite efficiency push',
    summary: 'Data-centre sales rose again, easing fears that cheaper models would cut spending on hardware.',
    body: [
      'Nvidia reported another rise in sales of its data-centre chips on Wednesday, easing investor worries that cheaper, more efficient AI models would reduce demand for its hardware.',
      'The launch of DeepSeek’s low-cost model in January had briefly wiped hundreds of billions of dollars off chipmakers’ market value, on fears that companies would need fewer processors.',
      '“Efficiency tends to increase demand, not reduce it,” said Priya Raman, a semiconductor analyst in San Francisco. “Cheaper AI means more AI.”',
      'Export restrictions on sales to China remain a risk to the company’s outlook, analysts said.',
    ],
    kind: 'NEWS',
    section: 'technology',
    byline: [{ author: 'reuters', role: 'AGENCY' }],
    tags: ['nvidia', 'artificial-intelligence', 'semiconductors', 'united-states', 'deepseek'],
    dateline: 'SAN FRANCISCO',
    publishedAt: pkt('2025-02-26T23:10'),
  }),

  // ── Thursday, 27 February ──────────────────────────────────────────────
  story({
    slug: 'caught-between-two-tech-superpowers',
    headline: 'Caught between two tech superpowers',
    summary: 'Pakistan buys its phones from one rival and its software from the other. It cannot afford to choose.',
    body: [
      'When I served in Beijing, technology was something our two countries talked about in the language of friendship. In Washington, it was a subject for trade negotiators. Today both capitals discuss it in the language of security.',
      'For a country like ours, which depends on Chinese hardware and American software, that shift is a problem. Every new restriction on one side raises the cost of staying connected to the other.',
      'Our diplomacy should aim for something modest but achievable: clear rules for the data of our citizens, and partnerships that do not require us to take sides in a contest we did not start.',
    ],
    kind: 'OPINION',
    section: 'columns',
    byline: [{ author: 'kamran-hashmi', role: 'AUTHOR' }],
    tags: ['china', 'united-states', 'artificial-intelligence', 'semiconductors'],
    publishedAt: pkt('2025-02-27T07:00'),
  }),
  story({
    slug: 'washington-beijing-trade-warnings-tariffs',
    headline: 'Washington and Beijing trade warnings as new tariffs loom',
    summary: 'China said it would respond to any further duties, as the United States prepared another increase.',
    body: [
      'China warned on Thursday that it would respond to any further US tariffs on its goods, as Washington prepared to raise duties again next week.',
      'The announcement from the White House, made on social media by President Donald Trump, linked the increase to the flow of illicit drugs into the United States.',
      'Beijing’s commerce ministry said the move would harm both economies and that China would take “all necessary countermeasures”.',
      'Markets in Asia fell on the news, with technology and export-oriented shares among the hardest hit.',
    ],
    kind: 'NEWS',
    section: 'americas',
    byline: [{ author: 'reuters', role: 'AGENCY' }],
    tags: ['united-states', 'china', 'trade', 'donald-trump', 'xi-jinping'],
    dateline: 'WASHINGTON',
    publishedAt: pkt('2025-02-27T08:30'),
  }),
  story({
    slug: 'peshawar-old-book-bazaar-binders',
    headline: 'In Peshawar’s old book bazaar, the last binders keep pages turning',
    summary: 'A handful of craftsmen still stitch ledgers and Qurans by hand in shops their grandfathers opened.',
    body: [
      'The shop is barely wider than the man sitting in it. Stacks of paper rise to the ceiling; a wooden press, older than its owner, takes up the rest.',
      'Haji Noor Muhammad has bound books in this lane of Peshawar’s old city for 52 years. His grandfather opened the shop; his sons work in Dubai.',
      '“People bring me books their fathers owned and ask me to make them last another fifty years,” he said, pulling a thread through a spine. “That I can still do.”',
      'Only a handful of binders remain in the bazaar, which once had dozens. Printing presses and cheap paperbacks took most of the trade; the rest went online.',
    ],
    kind: 'FEATURE',
    section: 'culture',
    byline: [
      { author: 'imran-qureshi', role: 'REPORTER' },
      { author: 'omar-farooq', role: 'PHOTOGRAPHER' },
    ],
    tags: ['peshawar', 'books'],
    dateline: 'PESHAWAR',
    hero: 'peshawar-books',
    publishedAt: pkt('2025-02-27T11:00'),
  }),
  story({
    slug: 'price-control-committees-ramazan',
    headline: 'Price control committees fan out as Ramazan nears',
    summary: 'Inspectors have fined dozens of shopkeepers in Karachi for overcharging on fruit and flour.',
    body: [
      'Price control committees in Karachi fined dozens of shopkeepers on Thursday for selling fruit, flour and sugar above official rates, as the city prepared for Ramazan.',
      'Shoppers at wholesale markets said the price of dates and bananas had risen sharply over the past week.',
      '“The official list says one thing, the shopkeeper says another,” said Nasreen Akhtar, shopping in Saddar. “And the inspector is never there when I am.”',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [{ author: 'sana-baloch', role: 'REPORTER' }],
    tags: ['ramazan', 'inflation', 'karachi'],
    dateline: 'KARACHI',
    hero: 'ramazan-market',
    publishedAt: pkt('2025-02-27T14:30'),
  }),
  story({
    slug: 'senate-panel-clears-data-protection-bill',
    headline: 'Senate panel clears data protection bill after two years of revisions',
    summary: 'The bill would create a regulator and require companies to report breaches within days.',
    body: [
      'A Senate committee approved a long-delayed personal data protection bill on Thursday, sending it to the full house after more than two years of revisions.',
      'The bill would create a regulator with powers to fine companies that misuse personal data and require breaches to be reported within 72 hours.',
      'Digital rights groups welcomed the progress but objected to broad exemptions for security agencies.',
      '“A law with a hole that size in the middle is still better than no law, but only just,” said one campaigner who attended the session.',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [
      { author: 'hamza-siddiqui', role: 'REPORTER' },
      { author: 'nadia-rehman', role: 'CONTRIBUTOR' },
    ],
    tags: ['parliament', 'national-security', 'human-rights'],
    dateline: 'ISLAMABAD',
    publishedAt: pkt('2025-02-27T18:00'),
  }),
  story({
    slug: 'hockey-election-dispute-court',
    headline: 'Hockey body’s election dispute heads to court',
    summary: 'Rival factions each claim to run the federation, leaving players unsure who will pick the team.',
    body: [
      'A dispute over the leadership of the national hockey federation moved to the courts on Thursday, with two factions each claiming to have won its elections.',
      'Players said the uncertainty had already delayed training camps ahead of international fixtures.',
      '“We just want to know who our coach is,” said a senior player, who asked not to be named.',
    ],
    kind: 'NEWS',
    section: 'sport',
    byline: [{ author: 'bilal-chaudhry', role: 'REPORTER' }],
    tags: ['hockey'],
    dateline: 'LAHORE',
    publishedAt: pkt('2025-02-27T20:40'),
  }),

  // ── Friday, 28 February ────────────────────────────────────────────────
  story({
    slug: 'moon-sighting-committee-to-meet',
    headline: 'Moon sighting committee to meet on Saturday',
    summary: 'If the crescent is seen, the first fast of Ramazan will be observed on Sunday.',
    body: [
      'The central moon sighting committee will meet in Islamabad on Saturday evening to decide whether the Ramazan crescent has been seen, the religious affairs ministry said.',
      'Zonal committees will meet at the same time in provincial capitals. The meteorological department said the crescent was likely to be visible in clear weather across much of the country.',
    ],
    kind: 'NEWS',
    section: 'news',
    byline: [{ author: 'hamza-siddiqui', role: 'REPORTER' }],
    tags: ['ramazan'],
    dateline: 'ISLAMABAD',
    publishedAt: pkt('2025-02-28T10:30'),
  }),
  story({
    slug: 'anti-narcotics-force-seizes-haul-balochistan',
    headline: 'Anti-narcotics force seizes large haul in Balochistan raid',
    summary: 'Officials said the drugs were bound for international markets via the coast.',
    body: [
      'The anti-narcotics force said on Friday that it had seized a large consignment of hashish and heroin in a raid in Balochistan, one of the largest seizures in the province this year.',
      'Officials said the drugs had been hidden in a compound near the coast and were intended for shipment abroad. Several suspects were arrested.',
      'The province lies on a major route for drugs produced in Afghanistan, and officials say the trade funds criminal and militant groups along the border.',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [{ author: 'sana-baloch', role: 'REPORTER' }],
    tags: ['narcotics', 'balochistan', 'afghanistan'],
    dateline: 'QUETTA',
    publishedAt: pkt('2025-02-28T13:00'),
  }),
  story({
    slug: 'seminary-blast-nowshera',
    headline: 'Suicide blast at seminary in Nowshera during Friday prayers',
    summary: 'Several people were killed, including a senior cleric, and many more were wounded, officials said.',
    body: [
      'A suicide bomber struck a seminary in Akora Khattak, in Khyber Pakhtunkhwa’s Nowshera district, during Friday prayers, killing several people and wounding many more, police and rescue officials said.',
      'A senior cleric associated with the seminary was among those killed, officials said. The wounded were taken to hospitals in Nowshera and Peshawar, where an emergency was declared.',
      'No group immediately claimed responsibility. The provincial government announced an inquiry and the federal interior minister condemned the attack.',
      '“The blast happened just after the prayers ended, as people were leaving,” a witness told The Meridian by telephone.',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [
      { author: 'imran-qureshi', role: 'REPORTER' },
      { author: 'afp', role: 'AGENCY' },
    ],
    tags: ['terrorism', 'khyber-pakhtunkhwa', 'national-security'],
    dateline: 'NOWSHERA',
    hero: 'nowshera-seminary',
    publishedAt: pkt('2025-02-28T16:30'),
    updatedAt: pkt('2025-02-28T22:05'),
    front: true,
  }),
  story({
    slug: 'stocks-end-week-lower',
    headline: 'Stocks end week lower as investors book profits',
    summary: 'The benchmark index fell for a third straight session, led by banks and fertiliser companies.',
    body: [
      'Shares fell for a third consecutive session on Friday, as investors sold banking and fertiliser stocks to lock in gains before Ramazan.',
      'Brokers said volumes were thin and that many investors were waiting for the outcome of the IMF review before taking new positions.',
      '| Sector | Week | Change |\n| :-- | --: | --: |\n| Banks | Lower | −2.1% |\n| Fertiliser | Lower | −1.6% |\n| Cement | Higher | +0.4% |',
      '---',
      'Market figures are from the exchange’s closing data. See the [exchange’s daily report](https://www.example.com/market-summary) for the full table.',
    ],
    kind: 'NEWS',
    section: 'business',
    byline: [{ author: 'farah-naqvi', role: 'REPORTER' }],
    tags: ['economy'],
    dateline: 'KARACHI',
    publishedAt: pkt('2025-02-28T17:00'),
  }),
  story({
    slug: 'deepseek-open-source-week-ends',
    headline: 'DeepSeek releases more of its code as open-source week ends',
    summary: 'The Chinese start-up published tools it uses to train and run its models more cheaply.',
    body: [
      'Chinese AI start-up DeepSeek on Friday published the last of a series of software tools it uses to train and run its models, ending a week in which it released part of its internal code each day.',
      'Developers said the tools, which help spread work efficiently across large numbers of chips, could help others reduce the cost of building AI systems.',
      '“It is unusual for a company to give away the plumbing,” said Faisal Iqbal, an engineer at a Karachi start-up who has tested the releases. “That is where a lot of the savings are.”',
      'The releases have added to debate in Washington over whether export controls on chips can slow China’s progress in AI.',
    ],
    kind: 'NEWS',
    section: 'technology',
    byline: [
      { author: 'nadia-rehman', role: 'REPORTER' },
      { author: 'reuters', role: 'AGENCY' },
    ],
    tags: ['deepseek', 'artificial-intelligence', 'china'],
    dateline: 'KARACHI',
    publishedAt: pkt('2025-02-28T17:45'),
  }),
  story({
    slug: 'national-assembly-first-year-record-bills',
    headline: 'National Assembly completes first year with record number of bills passed',
    summary: 'A parliamentary monitoring group counted more laws passed than in any first year since 2002.',
    body: [
      'The National Assembly passed more bills in its first parliamentary year than any assembly since 2002, according to a report published on Friday by a parliamentary monitoring group.',
      'The report said that many of the bills were passed without being referred to standing committees, and that attendance fell below a quorum in a third of sittings.',
      '“Volume is not the same as scrutiny,” the group said in its summary.',
    ],
    kind: 'NEWS',
    section: 'pakistan',
    byline: [{ author: 'hamza-siddiqui', role: 'REPORTER' }],
    tags: ['national-assembly', 'parliament'],
    dateline: 'ISLAMABAD',
    publishedAt: pkt('2025-02-28T19:00'),
  }),
  story({
    slug: 'karachi-film-festival-opens',
    headline: 'Karachi film festival opens with a debut from the city’s own streets',
    summary: 'A first-time director’s story of a rickshaw driver drew a standing ovation on opening night.',
    body: [
      'The Karachi film festival opened on Friday with the premiere of a first feature about a rickshaw driver who ferries the city’s night-shift workers.',
      'The director, a former cinematographer, shot the film over two years with a cast drawn largely from the neighbourhoods where it is set.',
      '“I wanted Karachi to see itself as it is at three in the morning,” she told the audience before the screening.',
      'The festival runs until next Sunday, with screenings in three cinemas and free outdoor shows in two parks.',
    ],
    kind: 'NEWS',
    section: 'culture',
    byline: [{ author: 'zainab-hussain', role: 'REPORTER' }],
    tags: ['film', 'karachi'],
    dateline: 'KARACHI',
    hero: 'karachi-film-festival',
    publishedAt: pkt('2025-02-28T21:15'),
  }),

  // ── Saturday, 1 March ──────────────────────────────────────────────────
  story({
    slug: 'an-ai-policy-that-starts-with-people',
    headline: 'An AI policy that starts with people',
    summary: 'The draft national AI policy talks about data centres. It should talk about teachers.',
    body: [
      'The draft national AI policy published for comment this month contains ambitious targets for computing capacity and start-up funding. It says much less about the people who will use the technology, or be affected by it.',
      'The first investment should be in schools and universities: in teachers who understand the tools, and curricula that teach students to question them.',
      'The second should be in rules: who is responsible when an automated decision denies someone a loan or a benefit, and how that person can appeal.',
      'Data centres can be rented. Skills and trust cannot.',
    ],
    kind: 'OPINION',
    section: 'columns',
    byline: [
      { author: 'maryam-aziz', role: 'AUTHOR' },
      { author: 'khalid-mansoor', role: 'AUTHOR' },
    ],
    tags: ['artificial-intelligence', 'education'],
    publishedAt: pkt('2025-03-01T07:30'),
  }),
  story({
    slug: 'slow-roads-north-karakoram-late-winter',
    headline: 'Slow roads north: travelling the Karakoram in late winter',
    summary: 'Before the tourist season, the valleys belong to the people who live in them.',
    body: [
      'In late February the Karakoram Highway is almost empty. The hotels in Karimabad are closed or nearly so; the apricot trees are bare; the river runs low and green.',
      'It is, for the patient traveller, the best time to come. Villagers have time to talk. The light is clear. A cup of tea is offered, not sold.',
      '## What to know',
      'Roads can close after snowfall, so build in spare days. Carry cash: few places accept cards outside the main towns. And ask before photographing people, especially women.',
      'Travel at this time of year is slower. That is the point.',
    ],
    kind: 'FEATURE',
    section: 'culture',
    byline: [{ author: 'rafia-zaman', role: 'AUTHOR' }],
    tags: ['travel', 'pakistan'],
    dateline: 'HUNZA',
    hero: 'karakoram-road',
    publishedAt: pkt('2025-03-01T08:00'),
  }),
  story({
    slug: 'china-parliament-tech-self-reliance',
    headline: 'China’s parliament to put tech self-reliance at centre of annual session',
    summary: 'Delegates are expected to approve more funding for chips and AI as competition with the US intensifies.',
    body: [
      'China’s annual parliamentary session, which opens next week, is expected to put technological self-reliance at the centre of the government’s economic plans, according to state media and analysts.',
      'Delegates are likely to approve increased funding for semiconductors, artificial intelligence and basic research, as the country responds to US restrictions on technology exports.',
      'President Xi Jinping has repeatedly called for breakthroughs in “core technologies” in recent speeches.',
    ],
    kind: 'NEWS',
    section: 'asia',
    byline: [{ author: 'afp', role: 'AGENCY' }],
    tags: ['china', 'artificial-intelligence', 'semiconductors', 'xi-jinping'],
    dateline: 'BEIJING',
    publishedAt: pkt('2025-03-01T09:40'),
  }),
  story({
    slug: 'it-exports-rise-seventh-month',
    headline: 'IT exports rise for seventh month running',
    summary: 'Software and freelance earnings grew strongly in January, central bank data showed.',
    body: [
      'Exports of information technology services rose for the seventh consecutive month in January, according to central bank data released on Saturday.',
      'Industry officials credited growth in software development and freelance work, and said more companies were now keeping their earnings in the country.',
      '“The next step is to move from selling hours to selling products,” said the head of a software industry association.',
      '> Freelancers now bring home a larger share of their earnings than two years ago, the data suggest.\n>\n> — central bank quarterly note',
    ],
    kind: 'NEWS',
    section: 'business',
    byline: [{ author: 'farah-naqvi', role: 'REPORTER' }],
    tags: ['economy', 'artificial-intelligence', 'state-bank-of-pakistan'],
    dateline: 'KARACHI',
    publishedAt: pkt('2025-03-01T11:20'),
  }),
  story({
    slug: 'european-leaders-london-ukraine-talks',
    headline: 'European leaders to gather in London as Ukraine talks take new turn',
    summary: 'The meeting will discuss security guarantees and Europe’s role in any settlement.',
    body: [
      'European leaders will meet in London on Sunday to discuss security guarantees for Ukraine and Europe’s role in any settlement to end the war.',
      'Officials said the meeting would also consider how European countries could increase defence spending more quickly.',
      'The gathering follows a week of intense diplomacy over the war and uncertainty over US policy.',
    ],
    kind: 'NEWS',
    section: 'europe',
    byline: [{ author: 'ap', role: 'AGENCY' }],
    tags: ['ukraine', 'european-union'],
    dateline: 'LONDON',
    publishedAt: pkt('2025-03-01T15:45'),
  }),
  story({
    slug: 'anwar-five-wickets-lions-in-charge',
    headline: 'Anwar’s five-wicket haul puts Lions in charge',
    summary: 'The newly capped fast bowler took five for 38 on the opening day of the first-class match.',
    body: [
      'Saad Anwar celebrated his call-up to the national squad by taking five wickets for 38 runs on the opening day of Lahore Lions’ first-class match in Lahore on Saturday.',
      'The visitors were bowled out for 164 shortly before tea, and the Lions closed on 92 for one.',
      '“It was a good wicket to bowl on, and I wanted to show the selectors they were right,” Anwar said.',
    ],
    kind: 'NEWS',
    section: 'sport',
    byline: [{ author: 'bilal-chaudhry', role: 'REPORTER' }],
    tags: ['cricket', 'saad-anwar', 'lahore'],
    dateline: 'LAHORE',
    publishedAt: pkt('2025-03-01T19:10'),
  }),
  story({
    slug: 'ramazan-moon-sighted-first-fast-sunday',
    headline: 'Ramazan moon sighted; first fast on Sunday',
    summary: 'The central committee announced the sighting after receiving testimony from several cities.',
    body: [
      'The Ramazan crescent was sighted on Saturday evening, and the first fast will be observed on Sunday, the chairman of the central moon sighting committee announced in Islamabad.',
      'Testimony was received from several cities, the committee said. Taraweeh prayers were held in mosques across the country after the announcement.',
    ],
    kind: 'NEWS',
    section: 'news',
    byline: [{ author: 'hamza-siddiqui', role: 'REPORTER' }],
    tags: ['ramazan'],
    dateline: 'ISLAMABAD',
    publishedAt: pkt('2025-03-01T20:30'),
    front: true,
  }),
];

/**
 * Content readers must never see. Each shares tags, bylines and sections with public stories and
 * has read counts; the UNPUBLISHED one is in `must-read` and in an edition, a draft is in
 * `weekend-reads`. A leak through any relation would show one of these.
 */
export const nonPublic: DemoArticle[] = [
  {
    slug: 'draft-ai-researchers-describe-passport-checks',
    headline: 'AI researchers describe passport checks and travel approvals',
    summary: 'Three engineers at Chinese AI companies describe the new rules for travelling abroad. (Draft: awaiting legal review.)',
    body: [
      'DRAFT — do not publish. Three engineers at Chinese artificial intelligence companies described in interviews how they must now seek approval before travelling abroad.',
      'Quotes to be confirmed with each source before publication.',
    ],
    kind: 'NEWS',
    status: 'DRAFT',
    section: 'technology',
    byline: [
      { author: 'nadia-rehman', role: 'REPORTER' },
      { author: 'reuters', role: 'AGENCY' },
    ],
    tags: ['china', 'artificial-intelligence', 'deepseek', 'national-security', 'travel'],
    dateline: 'BEIJING',
  },
  {
    slug: 'draft-ramazan-bazaar-photo-essay',
    headline: 'Night bazaars of Ramazan: a photo essay',
    summary: 'Karachi after iftar, in pictures. (Draft: captions pending.)',
    body: ['DRAFT — photo selection and captions pending.'],
    kind: 'FEATURE',
    status: 'DRAFT',
    section: 'pakistan',
    byline: [
      { author: 'omar-farooq', role: 'PHOTOGRAPHER' },
      { author: 'sana-baloch', role: 'REPORTER' },
    ],
    tags: ['ramazan', 'karachi'],
    hero: 'ramazan-market',
  },
  {
    slug: 'scheduled-budget-explainer-what-changes',
    headline: 'Explainer: what the new budget changes for salaried taxpayers',
    summary: 'Tax slabs, allowances and deductions: a guide, scheduled for release with the budget speech.',
    body: [
      'SCHEDULED — embargoed until the budget speech. The new budget revises the income tax slabs for salaried individuals.',
      'Figures to be filled in from the finance bill.',
    ],
    kind: 'ANALYSIS',
    status: 'SCHEDULED',
    section: 'business',
    byline: [
      { author: 'farah-naqvi', role: 'REPORTER' },
      { author: 'khalid-mansoor', role: 'CONTRIBUTOR' },
    ],
    tags: ['economy', 'imf', 'inflation'],
    dateline: 'ISLAMABAD',
    scheduledInHours: 36,
  },
  {
    slug: 'unpublished-inside-hangzhou-ai-lab',
    headline: 'Inside the Hangzhou lab that shook Silicon Valley',
    summary: 'A profile withdrawn after publication pending verification of its sources.',
    body: [
      'UNPUBLISHED — withdrawn by the standards editor pending verification of sources.',
      'The lab occupies two floors of an office tower in Hangzhou.',
    ],
    kind: 'FEATURE',
    status: 'UNPUBLISHED',
    section: 'technology',
    byline: [{ author: 'nadia-rehman', role: 'REPORTER' }],
    tags: ['deepseek', 'china', 'artificial-intelligence'],
    dateline: 'HANGZHOU',
    hero: 'unpublished-lab',
    publishedAt: pkt('2025-02-28T09:00'),
    updatedAt: pkt('2025-02-28T15:00'),
  },
];

/** Live blogs: one published with its posts, and a draft one (its post must stay hidden). */
const liveBlogs: DemoArticle[] = [
  story({
    slug: 'live-budget-session-national-assembly',
    headline: 'Live: National Assembly debates the power tariff as the budget session opens',
    summary: 'Follow the day in the house: the tariff debate, the walkout and what the finance minister said.',
    body: ['Our reporters follow the National Assembly session as it happens. The newest posts are at the top.'],
    kind: 'LIVE',
    section: 'pakistan',
    byline: [{ author: 'ayesha-malik', role: 'REPORTER' }],
    tags: ['national-assembly'],
    dateline: 'ISLAMABAD',
    hero: 'national-assembly',
    publishedAt: pkt('2025-03-01T10:00'),
    posts: [
      {
        at: pkt('2025-03-01T10:02'),
        author: 'ayesha-malik',
        body: 'The session has opened with a quorum call. The power tariff is the first item on the agenda.',
        summary: 'Session opens',
        keyEvent: true,
      },
      {
        at: pkt('2025-03-01T10:25'),
        author: 'ayesha-malik',
        body: 'Opposition members are on their feet, holding copies of their electricity bills.\n\n![The house in session.](media:national-assembly "The Meridian")',
      },
      {
        at: pkt('2025-03-01T10:41'),
        author: 'ayesha-malik',
        body: ':::pullquote{by="An opposition member"}\nNobody in this house can explain these bills to their voters.\n:::',
      },
      {
        at: pkt('2025-03-01T11:05'),
        author: 'ayesha-malik',
        body: 'The opposition has **walked out** of the house. The speaker adjourned the sitting for twenty minutes.',
        summary: 'Opposition walks out',
        keyEvent: true,
        pinned: true,
      },
      {
        at: pkt('2025-03-01T11:40'),
        author: 'ayesha-malik',
        body: 'The finance minister says the tariff will be reviewed with the lender:\n\n- no change before the review ends\n- relief for the smallest users\n- a report to the house within a month',
        summary: 'Minister promises a review',
        keyEvent: true,
      },
    ],
  }),
];

const draftLiveBlogs: DemoArticle[] = [
  {
    slug: 'draft-live-moon-sighting-night',
    headline: 'Live: the moon-sighting committee meets (draft)',
    summary: 'Prepared for the evening the committee meets.',
    body: ['DRAFT — opens when the committee meets.'],
    kind: 'LIVE',
    status: 'DRAFT',
    section: 'pakistan',
    byline: [{ author: 'sana-baloch', role: 'REPORTER' }],
    tags: ['ramazan'],
    posts: [{ at: pkt('2025-02-28T18:00'), author: 'sana-baloch', body: 'DRAFT POST — the committee has not met yet.' }],
  },
];

export const articles: DemoArticle[] = [mainStory, ...editorials, ...stories, ...nonPublic, ...liveBlogs, ...draftLiveBlogs];

/** Page of a DAILY edition by the root section of a story (front-page stories go on page 1). */
export const pageBySection: Record<string, number> = {
  news: 2,
  pakistan: 2,
  world: 3,
  business: 4,
  technology: 5,
  opinion: 6,
  culture: 7,
  sport: 8,
};

const editionDays = ['2025-02-23', '2025-02-24', '2025-02-25', '2025-02-26', '2025-02-27', '2025-02-28', '2025-03-01'];
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const editionLabel = (day: string) => {
  const [y, m, d] = day.split('-');
  return `${months[Number(m) - 1]} ${d}, ${y}`;
};

export const editions: DemoEdition[] = [
  ...editionDays.map(
    (day): DemoEdition => ({
      slug: `daily-${day}`,
      name: `E-Paper | ${editionLabel(day)}`,
      kind: 'DAILY',
      date: day,
    }),
  ),
  {
    slug: 'print-2025-03-01',
    name: `Print Edition | ${editionLabel('2025-03-01')}`,
    kind: 'PRINT',
    date: '2025-03-01',
    pages: [
      [MAIN_STORY_SLUG, 'seminary-blast-nowshera', 'national-assembly-first-year-record-bills', 'deepseek-open-source-week-ends'],
      ['exceptional-assembly', 'haqqania-bombing', 'blood-and-drugs', 'an-ai-policy-that-starts-with-people'],
      ['karachi-film-festival-opens', 'stocks-end-week-lower'],
    ],
  },
];

/** Extra placements beyond each DAILY edition's own day (the withdrawn story was in print). */
export const extraPlacements: { edition: string; article: string; page: number }[] = [
  { edition: 'daily-2025-02-28', article: 'unpublished-inside-hangzhou-ai-lab', page: 5 },
];

export const collections: DemoCollection[] = [
  {
    slug: 'must-read',
    name: 'Must Read',
    description: 'Stories our editors think you should not miss.',
    items: [
      MAIN_STORY_SLUG,
      'peshawar-old-book-bazaar-binders',
      'unpublished-inside-hangzhou-ai-lab',
      'karachi-startups-bet-on-open-source-ai',
      'beijing-tech-champions-strategic-assets',
      'slow-roads-north-karakoram-late-winter',
      'caught-between-two-tech-superpowers',
    ],
  },
  {
    slug: 'weekend-reads',
    name: 'Weekend Reads',
    description: 'Longer stories for a slower morning.',
    items: [
      'slow-roads-north-karakoram-late-winter',
      'draft-ramazan-bazaar-photo-essay',
      'review-a-river-of-salt',
      'karachi-tanker-water-rates',
      'karachi-film-festival-opens',
    ],
  },
];

/**
 * Most read first. Each gets a constant base count per hourly bucket over the last seven days
 * (plus the same time-of-day swing for all), so the order is the same for any window. The
 * non-public stories have the highest counts on purpose: if one leaks, it tops Most Popular.
 */
export const popularity: string[] = [
  'unpublished-inside-hangzhou-ai-lab',
  'draft-live-moon-sighting-night',
  'draft-ai-researchers-describe-passport-checks',
  'scheduled-budget-explainer-what-changes',
  'draft-ramazan-bazaar-photo-essay',
  MAIN_STORY_SLUG,
  'seminary-blast-nowshera',
  'ramazan-moon-sighted-first-fast-sunday',
  'haqqania-bombing',
  'deepseek-open-source-week-ends',
  'us-weighs-tighter-ai-chip-curbs-china',
  'price-control-committees-ramazan',
  'exceptional-assembly',
  'washington-beijing-trade-warnings-tariffs',
  'lahore-lions-clinch-t20-title',
  'karachi-startups-bet-on-open-source-ai',
  'affordable-ramazan',
  'beijing-tech-champions-strategic-assets',
  'karachi-film-festival-opens',
  'chipmaker-results-ai-demand-holds',
  'anwar-five-wickets-lions-in-charge',
  'blood-and-drugs',
  'slow-roads-north-karakoram-late-winter',
  'uncapped-pacer-named-in-squad',
  'national-assembly-first-year-record-bills',
];
