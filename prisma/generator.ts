// Deterministic newsroom generator: the same seed and `now` give the same rows, byte for byte.
// Pure functions only (no database access): seed.ts writes what these return.
//
// Every concern draws from its own PRNG stream (derived from the seed and a label), so changing
// how, say, editions are picked does not shift the articles.
import { type Block, parseBody } from '../src/newsroom/body.js';

// ── PRNG ────────────────────────────────────────────────────────────────────────────────────────

/** mulberry32: a tiny, fast 32-bit PRNG; good enough for test data, not for anything secret. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to turn a seed and a label into a stream seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number, label: string) {
    this.next = mulberry32(hash32(`${seed}:${label}`));
  }
  /** [0, 1) */
  float(): number {
    return this.next();
  }
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Index in [0, n) skewed towards 0 (a few items get most of the picks). */
  skewed(n: number, power = 2.5): number {
    return Math.min(n - 1, Math.floor(n * this.next() ** power));
  }
  /** k distinct indices in [0, n), in pick order. */
  distinct(n: number, k: number, pickIndex: () => number = () => Math.floor(this.next() * n)): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    let guard = 0;
    while (out.length < Math.min(k, n) && guard++ < k * 50) {
      const i = pickIndex();
      if (!seen.has(i)) {
        seen.add(i);
        out.push(i);
      }
    }
    return out;
  }
}

// ── Vocabulary ──────────────────────────────────────────────────────────────────────────────────

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[’'"“”‘]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const DOMESTIC = [
  'Karachi',
  'Lahore',
  'Islamabad',
  'Peshawar',
  'Quetta',
  'Multan',
  'Faisalabad',
  'Hyderabad',
  'Rawalpindi',
  'Sialkot',
  'Gwadar',
  'Sukkur',
  'Bahawalpur',
  'Abbottabad',
  'Gilgit',
  'Skardu',
  'Muzaffarabad',
  'Swat',
  'Dera Ismail Khan',
  'Larkana',
  'Thatta',
  'Chitral',
  'Turbat',
  'Sargodha',
  'Gujranwala',
  'Mardan',
  'Bannu',
  'Kohat',
  'Nowshera',
  'Jhelum',
  'Sahiwal',
  'Mirpurkhas',
  'Zhob',
  'Hunza',
  'Murree',
  'Thar',
  'Sindh',
  'Punjab',
  'Khyber Pakhtunkhwa',
  'Balochistan',
  'Gilgit-Baltistan',
];
const REGIONS: Record<string, string[]> = {
  asia: [
    'Beijing',
    'Shanghai',
    'Hong Kong',
    'Tokyo',
    'Seoul',
    'New Delhi',
    'Mumbai',
    'Dhaka',
    'Colombo',
    'Kathmandu',
    'Kabul',
    'Jakarta',
    'Kuala Lumpur',
    'Singapore',
    'Bangkok',
    'Manila',
    'Hanoi',
    'Sydney',
    'Wellington',
    'China',
    'India',
    'Afghanistan',
    'Japan',
    'Bangladesh',
    'Sri Lanka',
    'Indonesia',
    'Malaysia',
    'Australia',
  ],
  americas: [
    'Washington',
    'New York',
    'San Francisco',
    'Toronto',
    'Mexico City',
    'Brasilia',
    'Buenos Aires',
    'United States',
    'Brazil',
    'Canada',
  ],
  'middle-east': [
    'Tehran',
    'Riyadh',
    'Dubai',
    'Abu Dhabi',
    'Doha',
    'Muscat',
    'Ankara',
    'Istanbul',
    'Cairo',
    'Amman',
    'Beirut',
    'Baghdad',
    'Gaza',
    'Jerusalem',
    'Iran',
    'Saudi Arabia',
    'Turkey',
    'Egypt',
    'Qatar',
  ],
  europe: [
    'Moscow',
    'Kyiv',
    'Warsaw',
    'Berlin',
    'Paris',
    'London',
    'Brussels',
    'Madrid',
    'Rome',
    'Geneva',
    'Stockholm',
    'Oslo',
    'United Kingdom',
    'Germany',
    'France',
    'Russia',
    'Ukraine',
  ],
  africa: ['Nairobi', 'Lagos', 'Johannesburg', 'Addis Ababa', 'Kenya', 'Nigeria', 'South Africa'],
};
const FOREIGN = Object.values(REGIONS).flat();
export const PLACES: readonly string[] = [...DOMESTIC, ...FOREIGN];

const FIRST_NAMES = [
  'Ayesha',
  'Imran',
  'Sana',
  'Hamza',
  'Ali',
  'Farah',
  'Nadia',
  'Bilal',
  'Zainab',
  'Omar',
  'Khalid',
  'Maryam',
  'Rafia',
  'Kamran',
  'Usman',
  'Hira',
  'Faisal',
  'Asma',
  'Tariq',
  'Sadia',
  'Adnan',
  'Mehwish',
  'Junaid',
  'Saima',
  'Waqar',
  'Rabia',
  'Shahid',
  'Amna',
  'Fahad',
  'Iqra',
  'Salman',
  'Nida',
  'Haris',
  'Sidra',
  'Zubair',
  'Anum',
  'Yasir',
  'Hina',
  'Asad',
  'Mahnoor',
  'Danish',
  'Fatima',
  'Arif',
  'Samina',
  'Naveed',
  'Kiran',
  'Owais',
  'Sobia',
  'Rizwan',
  'Tahira',
  'James',
  'Maria',
  'Chen',
  'Priya',
  'Daniel',
  'Elena',
  'Kenji',
  'Leila',
  'Tomas',
  'Grace',
];
const LAST_NAMES = [
  'Malik',
  'Qureshi',
  'Baloch',
  'Siddiqui',
  'Raza',
  'Naqvi',
  'Rehman',
  'Chaudhry',
  'Hussain',
  'Farooq',
  'Mansoor',
  'Aziz',
  'Zaman',
  'Hashmi',
  'Khan',
  'Shah',
  'Butt',
  'Sheikh',
  'Abbasi',
  'Awan',
  'Bhatti',
  'Gill',
  'Jamali',
  'Khattak',
  'Memon',
  'Mirza',
  'Niazi',
  'Paracha',
  'Rana',
  'Soomro',
  'Tiwana',
  'Yousafzai',
  'Zaidi',
  'Durrani',
  'Bukhari',
  'Lodhi',
  'Kazmi',
  'Ansari',
  'Akhtar',
  'Iqbal',
  'Javed',
  'Haider',
  'Wong',
  'Fernandes',
  'Okafor',
  'Novak',
  'Rossi',
  'Tanaka',
  'Larsen',
  'Haddad',
  'Ibrahim',
  'Costa',
  'Müller',
  'Dubois',
  'Kowalski',
  'Singh',
];
const AGENCIES = [
  ['Reuters', 'International news agency.'],
  ['The Associated Press', 'US-based international news agency.'],
  ['AFP', 'Agence France-Presse.'],
  ['APP', 'Associated Press of Pakistan, the state news agency.'],
  ['Xinhua', 'China’s state news agency.'],
  ['Anadolu', 'Turkey’s state-run news agency.'],
  ['dpa', 'Deutsche Presse-Agentur.'],
  ['Kyodo', 'Japanese news agency.'],
  ['Bloomberg', 'Business and financial news service.'],
  ['PTI', 'Press Trust of India.'],
] as const;
const BEATS = [
  'politics',
  'the courts',
  'the economy',
  'energy',
  'climate',
  'health',
  'education',
  'technology',
  'cricket',
  'foreign affairs',
  'security',
  'cities',
  'culture',
  'business',
  'agriculture',
  'water',
  'human rights',
  'sport',
];

const TOPIC_BASE = [
  'Artificial intelligence',
  'National security',
  'Travel',
  'Economy',
  'Inflation',
  'Elections',
  'Climate change',
  'Floods',
  'Heatwave',
  'Water',
  'Energy',
  'Electricity',
  'Gas',
  'Oil',
  'Trade',
  'Exports',
  'Tariffs',
  'Taxes',
  'Budget',
  'Debt',
  'Banking',
  'Stock market',
  'Property',
  'Agriculture',
  'Wheat',
  'Cotton',
  'Education',
  'Health',
  'Polio',
  'Dengue',
  'Hospitals',
  'Courts',
  'Constitution',
  'Parliament',
  'Police',
  'Terrorism',
  'Narcotics',
  'Human rights',
  'Press freedom',
  'Women’s rights',
  'Child labour',
  'Transport',
  'Railways',
  'Aviation',
  'Ports',
  'Shipping',
  'Telecoms',
  'Internet',
  'Cybersecurity',
  'Semiconductors',
  'Start-ups',
  'Space',
  'Cricket',
  'Football',
  'Hockey',
  'Squash',
  'Tennis',
  'Olympics',
  'Books',
  'Film',
  'Music',
  'Art',
  'Theatre',
  'Heritage',
  'Ramazan',
  'Eid',
  'Migration',
  'Refugees',
  'Diplomacy',
  'Defence',
  'Nuclear energy',
  'Solar power',
  'Urban planning',
  'Housing',
  'Pollution',
  'Smog',
  'Forests',
  'Wildlife',
  'Fisheries',
  'Tourism',
  'Privatisation',
];
const TOPIC_QUALIFIERS = [
  'Urban',
  'Rural',
  'Provincial',
  'Regional',
  'Global',
  'Public',
  'Private',
  'Digital',
  'Local',
  'Coastal',
  'Northern',
  'Southern',
  'Youth',
  'Women’s',
  'Informal',
  'Green',
  'Cross-border',
  'Federal',
];
const ORG_TYPES = [
  'Chamber of Commerce',
  'University',
  'High Court',
  'Development Authority',
  'Water Board',
  'Electric Supply Company',
  'Press Club',
  'Bar Association',
  'Stock Exchange',
  'Port Trust',
  'Cricket Association',
  'Medical College',
  'Traders Association',
  'Police',
  'Municipal Corporation',
  'Arts Council',
  'Institute of Technology',
];
const ORG_FIXED = [
  'DeepSeek',
  'Nvidia',
  'National Assembly',
  'Senate',
  'State Bank of Pakistan',
  'International Monetary Fund',
  'World Bank',
  'Asian Development Bank',
  'Pakistan Cricket Board',
  'United Nations',
  'European Union',
  'WHO',
  'Election Commission',
  'Supreme Court',
  'OpenAI',
  'Google',
  'Microsoft',
  'Apple',
  'Huawei',
  'TSMC',
  'Opec',
  'Nato',
  'Asean',
  'SCO',
  'Fifa',
  'ICC',
  'Unicef',
  'UNHCR',
  'Red Crescent',
  'Edhi Foundation',
];

type Vocab = { actors: string[]; objects: string[]; roles: string[] };
/** Actors starting with '+' are plural ("Exporters back …"); the rest are singular. */
const VOCAB: Record<string, Vocab> = {
  politics: {
    actors: [
      'The provincial government',
      '+Opposition lawmakers',
      'The chief minister',
      'The election commission',
      'The interior ministry',
      '+City officials',
      'The high court',
      '+Police',
      'The cabinet',
      '+Local councillors',
      'The Senate',
      '+Teachers’ unions',
      '+Health officials',
      '+Farmers’ groups',
      '+Traders',
    ],
    objects: [
      'a new local government law',
      'the development budget',
      'a ban on plastic bags',
      'wheat procurement targets',
      'a flood protection plan',
      'the bus rapid transit extension',
      'fresh polls in three constituencies',
      'a crackdown on power theft',
      'a school enrolment drive',
      'a review of police recruitment',
      'water allocation between provinces',
      'the property tax schedule',
      'new rules for street vendors',
      'a census of informal settlements',
      'hospital upgrades in rural districts',
      'a polio vaccination campaign',
    ],
    roles: ['a senior official', 'a spokesperson', 'an opposition lawmaker', 'a former minister', 'a district officer'],
  },
  world: {
    actors: [
      '+Foreign ministers',
      'The United Nations',
      '+Negotiators',
      'The European Commission',
      '+Central bankers',
      '+Aid agencies',
      'The White House',
      '+Regional leaders',
      '+Election observers',
      '+Rescue workers',
      '+Protesters',
      'The World Bank',
    ],
    objects: [
      'a ceasefire proposal',
      'new sanctions',
      'a climate finance pledge',
      'border talks',
      'an emergency aid appeal',
      'a trade agreement',
      'refugee resettlement plans',
      'a peacekeeping mandate',
      'debt relief for poorer nations',
      'disputed election results',
      'tariffs on steel imports',
      'a grain export corridor',
      'curbs on chip exports',
    ],
    roles: ['a diplomat', 'a senior fellow', 'an aid worker', 'a spokesperson', 'a political analyst'],
  },
  business: {
    actors: [
      'The central bank',
      '+Exporters',
      '+Textile mills',
      '+Investors',
      'The finance ministry',
      '+Carmakers',
      '+Banks',
      'The securities regulator',
      '+Oil marketing companies',
      '+Telecom operators',
      '+Cement makers',
      '+Small businesses',
    ],
    objects: [
      'the policy rate',
      'fuel prices',
      'a new tax on imports',
      'bank lending to farmers',
      'the current account deficit',
      'gas tariffs for industry',
      'a sovereign bond issue',
      'remittance incentives',
      'power sector debt',
      'the privatisation programme',
      'export refinance rates',
      'dividend payouts',
      'the loan programme review',
    ],
    roles: ['an economist', 'the head of research', 'a currency dealer', 'the chairman', 'a fund manager'],
  },
  tech: {
    actors: [
      '+Start-ups',
      'The telecom regulator',
      '+Researchers',
      '+Software exporters',
      '+Chipmakers',
      '+Cybersecurity experts',
      '+Universities',
      '+App developers',
      '+Digital rights groups',
      '+Cloud providers',
    ],
    objects: [
      'an artificial intelligence policy',
      'spectrum auction plans',
      'a data protection law',
      'satellite internet licences',
      'a national cloud strategy',
      'open-source language models',
      'mobile banking fraud',
      'rules for ride-hailing apps',
      'the fibre broadband rollout',
      'a semiconductor design programme',
      'online harassment complaints',
      'a coding bootcamp scheme',
    ],
    roles: ['a software engineer', 'the founder', 'a researcher', 'a digital rights campaigner', 'the chief executive'],
  },
  sport: {
    actors: [
      'The cricket board',
      '+Selectors',
      'The hockey federation',
      'The captain',
      '+Young players',
      'The football federation',
      '+Coaches',
      'The Olympic association',
      '+Squash officials',
      '+Fans',
    ],
    objects: [
      'the squad for the home series',
      'a new coaching set-up',
      'the domestic T20 schedule',
      'central contracts',
      'a bid to host the championship',
      'the under-19 tour',
      'stadium renovations',
      'a fitness test regime',
      'ticket prices for the final',
      'plans for a women’s league',
    ],
    roles: ['a former captain', 'the head coach', 'a selector', 'a team manager', 'a sports commentator'],
  },
  opinion: {
    actors: [
      'The state',
      '+Our politicians',
      '+The courts',
      '+Citizens',
      'The government',
      'Parliament',
      'Civil society',
      'The bureaucracy',
    ],
    objects: [
      'the social contract',
      'tax reform',
      'the right to information',
      'urban planning',
      'the education emergency',
      'climate adaptation',
      'press freedom',
      'the energy crisis',
      'provincial autonomy',
      'police reform',
    ],
    roles: ['a lawyer', 'a retired civil servant', 'a teacher', 'an economist', 'a former judge'],
  },
  culture: {
    actors: [
      '+Artists',
      'The arts council',
      '+Publishers',
      '+Film-makers',
      '+Musicians',
      'The literature festival',
      '+Museum curators',
      '+Theatre groups',
      '+Young poets',
    ],
    objects: [
      'a retrospective exhibition',
      'a new novel',
      'the film festival line-up',
      'a revival of classical music',
      'grants for independent cinema',
      'heritage conservation',
      'a translation prize',
      'a restored old-city haveli',
      'the spring theatre season',
      'a documentary on the Indus delta',
    ],
    roles: ['a novelist', 'the curator', 'a film critic', 'a musician', 'the festival director'],
  },
};

const VERBS: [third: string, base: string, past: string][] = [
  ['approves', 'approve', 'approved'],
  ['rejects', 'reject', 'rejected'],
  ['delays', 'delay', 'delayed'],
  ['backs', 'back', 'backed'],
  ['reviews', 'review', 'reviewed'],
  ['unveils', 'unveil', 'unveiled'],
  ['criticises', 'criticise', 'criticised'],
  ['defends', 'defend', 'defended'],
  ['expands', 'expand', 'expanded'],
  ['suspends', 'suspend', 'suspended'],
  ['announces', 'announce', 'announced'],
  ['questions', 'question', 'questioned'],
  ['extends', 'extend', 'extended'],
  ['scraps', 'scrap', 'scrapped'],
  ['welcomes', 'welcome', 'welcomed'],
  ['challenges', 'challenge', 'challenged'],
];
const CLAUSES = [
  'amid protests',
  'ahead of the budget',
  'after talks stall',
  'as prices climb',
  'despite objections',
  'for the first time in a decade',
  'after court ruling',
  'under IMF pressure',
  'as deadline nears',
  'after months of delay',
  'in surprise move',
  'following heavy rain',
  'as winter sets in',
  'after outcry',
];
const REASONS = [
  'saying the move would ease pressure on households',
  'citing concerns over costs',
  'in a decision welcomed by business groups',
  'drawing criticism from opposition parties',
  'after weeks of consultation',
  'saying more time was needed to study the proposal',
  'in response to rising complaints from residents',
  'under pressure from international lenders',
  'despite warnings from independent experts',
  'arguing that the current rules had failed',
];
const QUOTES = [
  'We have waited long enough for this',
  'The details will matter more than the announcement',
  'Nobody has explained who will pay for it',
  'This is a step in the right direction, but only a step',
  'People want to see results, not promises',
  'We were not consulted, and it shows',
  'The numbers simply do not add up',
  'If this works, other provinces will follow',
  'It is too early to say whether this will last',
  'Our members will be watching closely',
  'We have seen plans like this before',
  'This could change how the whole sector works',
  'The public deserves a clear answer',
  'There is no quick fix, but this helps',
];
const EFFECTS = [
  'reduce costs for ordinary families',
  'create thousands of jobs',
  'hurt small businesses',
  'improve services in rural areas',
  'strain an already stretched budget',
  'attract foreign investment',
  'take years to show results',
  'put pressure on prices',
  'help clear a backlog of cases',
];
const METRICS = [
  'revenue collection',
  'the number of complaints',
  'enrolment',
  'exports',
  'imports',
  'prices of essential items',
  'electricity shortfalls',
  'arrivals',
  'reported cases',
  'investment',
  'output',
  'attendance',
];
const PEOPLE = ['residents', 'shopkeepers', 'commuters', 'parents', 'farmers', 'workers', 'students', 'patients', 'drivers'];
const ADDINGS = [
  'the details were still being worked out',
  'funding had yet to be confirmed',
  'the provinces would be consulted',
  'a review would follow in six months',
  'similar schemes had struggled elsewhere',
  'the first results were expected soon',
];
const PEOPLE_SAID = [
  'they had heard nothing from officials',
  'the change had already made a difference',
  'costs had risen faster than their incomes',
  'they would wait to see whether promises were kept',
  'the problem had grown worse over the past year',
  'they had been left out of the discussions',
];
/** By `Date#getUTCDay()`. */
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SUBHEADS = ['What happens next', 'Background', 'The cost', 'Reaction', 'A long road', 'Why it matters'];

// ── Rows ────────────────────────────────────────────────────────────────────────────────────────

export type SectionRow = {
  id: number;
  slug: string;
  name: string;
  description: string | null;
  parentId: number | null;
  position: number;
  createdAt: string;
};
export type AuthorRow = {
  id: number;
  slug: string;
  name: string;
  bio: string | null;
  kind: 'STAFF' | 'CONTRIBUTOR' | 'AGENCY';
  avatarUrl: string | null;
  createdAt: string;
};
export type TagRow = { id: number; slug: string; name: string; kind: 'TOPIC' | 'PERSON' | 'ORGANISATION' | 'PLACE'; createdAt: string };
export type MediaRow = {
  id: number;
  url: string;
  caption: string;
  credit: string;
  altText: string;
  width: number;
  height: number;
  createdAt: string;
};
export type ArticleRow = {
  id: number;
  slug: string;
  headline: string;
  summary: string;
  body: string;
  /** The body parsed (src/newsroom/body.ts), as a write through the API stores it. */
  bodyBlocks: Block[];
  bodyText: string;
  kind: 'NEWS' | 'ANALYSIS' | 'FEATURE' | 'OPINION' | 'EDITORIAL' | 'REVIEW' | 'OBITUARY';
  status: 'DRAFT' | 'SCHEDULED' | 'PUBLISHED' | 'UNPUBLISHED';
  sectionId: number;
  dateline: string | null;
  heroMediaId: number | null;
  publishedAt: string | null;
  updatedAt: string | null;
  scheduledAt: string | null;
  version: number;
  createdAt: string;
  modifiedAt: string;
};
export type BylineRow = {
  articleId: number;
  authorId: number;
  position: number;
  role: 'AUTHOR' | 'REPORTER' | 'CONTRIBUTOR' | 'PHOTOGRAPHER' | 'EDITOR' | 'AGENCY';
};
export type ArticleTagRow = { articleId: number; tagId: number };
export type CorrectionRow = { id: number; articleId: number; text: string; createdAt: string };
export type EditionRow = {
  id: number;
  slug: string;
  name: string;
  kind: 'DAILY' | 'PRINT' | 'REGIONAL' | 'SPECIAL';
  date: string;
  createdAt: string;
};
export type PlacementRow = { id: number; editionId: number; articleId: number; page: number; position: number };
export type CollectionRow = { id: number; slug: string; name: string; description: string; createdAt: string };
export type CollectionItemRow = { collectionId: number; articleId: number; position: number };
export type ReadRow = { articleId: number; bucket: string; count: number };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

type SectionSpec = { slug: string; name: string; vocab: keyof typeof VOCAB | 'obituary'; children?: [string, string][] };
const SECTION_TREE: SectionSpec[] = [
  { slug: 'news', name: 'News', vocab: 'politics' },
  {
    slug: 'pakistan',
    name: 'Pakistan',
    vocab: 'politics',
    children: [
      ['sindh', 'Sindh'],
      ['punjab', 'Punjab'],
      ['khyber-pakhtunkhwa', 'Khyber Pakhtunkhwa'],
      ['balochistan', 'Balochistan'],
      ['islamabad', 'Islamabad'],
    ],
  },
  {
    slug: 'world',
    name: 'World',
    vocab: 'world',
    children: [
      ['asia', 'Asia'],
      ['americas', 'Americas'],
      ['middle-east', 'Middle East'],
      ['europe', 'Europe'],
      ['africa', 'Africa'],
    ],
  },
  {
    slug: 'business',
    name: 'Business',
    vocab: 'business',
    children: [
      ['markets', 'Markets'],
      ['economy', 'Economy'],
      ['companies', 'Companies'],
    ],
  },
  {
    slug: 'technology',
    name: 'Technology',
    vocab: 'tech',
    children: [
      ['ai', 'AI'],
      ['gadgets', 'Gadgets'],
      ['science', 'Science'],
    ],
  },
  {
    slug: 'sport',
    name: 'Sport',
    vocab: 'sport',
    children: [
      ['cricket', 'Cricket'],
      ['football', 'Football'],
      ['hockey', 'Hockey'],
      ['tennis', 'Tennis'],
    ],
  },
  {
    slug: 'opinion',
    name: 'Opinion',
    vocab: 'opinion',
    children: [
      ['editorial', 'Editorial'],
      ['columns', 'Columns'],
      ['letters', 'Letters'],
    ],
  },
  {
    slug: 'culture',
    name: 'Culture',
    vocab: 'culture',
    children: [
      ['books', 'Books'],
      ['film', 'Film'],
      ['music', 'Music'],
      ['art', 'Art'],
    ],
  },
  { slug: 'obituaries', name: 'Obituaries', vocab: 'obituary' },
];

type SectionInfo = { id: number; slug: string; vocab: keyof typeof VOCAB | 'obituary'; weight: number; places: readonly string[] };

export type GeneratorOptions = { articles: number; seed: number; now: Date };

/**
 * Holds the reference data (sections, authors, tags) and the per-article facts later stages need
 * (time, status), and produces rows stage by stage. Call the methods in order.
 */
export class NewsroomGenerator {
  readonly now: number;
  readonly count: number;
  readonly seed: number;
  readonly sections: SectionRow[] = [];
  readonly authors: AuthorRow[] = [];
  readonly tags: TagRow[] = [];
  private readonly sectionInfo: SectionInfo[] = [];
  private sectionWeightTotal = 0;
  private agencyIds: number[] = [];
  private personIds: number[] = [];
  private editorialBoardId = 0;
  private placeTagIds = new Map<string, number>();
  /** Article time (publishedAt for PUBLISHED/UNPUBLISHED, createdAt otherwise), ascending by id. */
  readonly times: Float64Array;
  /** 0 DRAFT, 1 SCHEDULED, 2 PUBLISHED, 3 UNPUBLISHED, by id - 1. */
  readonly statuses: Uint8Array;
  private readonly articleRng: Rng;
  private mediaId = 0;
  private correctionId = 0;

  constructor(options: GeneratorOptions) {
    this.now = options.now.getTime();
    this.count = options.articles;
    this.seed = options.seed;
    this.buildSections();
    this.buildAuthors(new Rng(options.seed, 'authors'));
    this.buildTags(new Rng(options.seed, 'tags'), 2000);
    // Times first, sorted, so ids rise with time as they would in a real newsroom.
    const timeRng = new Rng(options.seed, 'times');
    const start = this.now - 365 * DAY;
    const times = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) times[i] = start + Math.floor(timeRng.float() * 365 * DAY);
    times.sort();
    this.times = times;
    this.statuses = new Uint8Array(this.count);
    this.articleRng = new Rng(options.seed, 'articles');
  }

  private get baseCreatedAt() {
    return iso(this.now - 400 * DAY);
  }

  private buildSections() {
    let id = 0;
    SECTION_TREE.forEach((spec, position) => {
      const parentId = ++id;
      this.sections.push({
        id: parentId,
        slug: spec.slug,
        name: spec.name,
        description: `${spec.name} coverage.`,
        parentId: null,
        position,
        createdAt: this.baseCreatedAt,
      });
      // Root sections take stories too, but fewer than their children.
      const places = spec.vocab === 'world' ? FOREIGN : spec.vocab === 'business' || spec.vocab === 'tech' ? PLACES : DOMESTIC;
      this.sectionInfo.push({ id: parentId, slug: spec.slug, vocab: spec.vocab, weight: spec.children ? 1 : 3, places });
      spec.children?.forEach(([slug, name], childPosition) => {
        const childId = ++id;
        this.sections.push({
          id: childId,
          slug,
          name,
          description: null,
          parentId,
          position: childPosition,
          createdAt: this.baseCreatedAt,
        });
        const weight = slug === 'editorial' ? 0.5 : slug === 'letters' ? 0.3 : 2;
        this.sectionInfo.push({ id: childId, slug, vocab: spec.vocab, weight, places: REGIONS[slug] ?? places });
      });
    });
    this.sectionWeightTotal = this.sectionInfo.reduce((sum, s) => sum + s.weight, 0);
  }

  private buildAuthors(rng: Rng) {
    const used = new Set<string>();
    const add = (name: string, kind: AuthorRow['kind'], bio: string, avatar: boolean) => {
      let slug = slugify(name);
      for (let n = 2; used.has(slug); n++) slug = `${slugify(name)}-${n}`;
      used.add(slug);
      const id = this.authors.length + 1;
      this.authors.push({
        id,
        slug,
        name,
        bio,
        kind,
        avatarUrl: avatar ? `https://media.example.com/authors/${slug}.jpg` : null,
        createdAt: this.baseCreatedAt,
      });
      return id;
    };
    for (const [name, bio] of AGENCIES) this.agencyIds.push(add(name, 'AGENCY', bio, false));
    this.editorialBoardId = add('Editorial Board', 'STAFF', 'The paper’s editorials express the view of its editorial board.', false);
    while (this.authors.length < 500) {
      const name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
      const staff = rng.chance(0.7);
      const beat = rng.pick(BEATS);
      const place = rng.pick(DOMESTIC);
      const bio = staff ? `Staff reporter in ${place} covering ${beat}.` : `Writes on ${beat}; based in ${place}.`;
      this.personIds.push(add(name, staff ? 'STAFF' : 'CONTRIBUTOR', bio, rng.chance(0.5)));
    }
  }

  private buildTags(rng: Rng, target: number) {
    const used = new Set<string>();
    const add = (name: string, kind: TagRow['kind']) => {
      const slug = slugify(name);
      if (!slug || used.has(slug) || this.tags.length >= target) return;
      used.add(slug);
      const id = this.tags.length + 1;
      this.tags.push({ id, slug, name, kind, createdAt: this.baseCreatedAt });
      if (kind === 'PLACE') this.placeTagIds.set(name, id);
    };
    // The demo's headline topics come first so that they are among the busiest tags.
    for (const name of TOPIC_BASE) add(name, 'TOPIC');
    for (const name of PLACES) add(name, 'PLACE');
    for (const name of ORG_FIXED) add(name, 'ORGANISATION');
    const quota = (kind: TagRow['kind'], n: number, make: () => string) => {
      let made = 0;
      for (let guard = 0; made < n && guard < n * 20; guard++) {
        const before = this.tags.length;
        add(make(), kind);
        if (this.tags.length > before) made++;
      }
    };
    const remaining = target - this.tags.length;
    quota('PERSON', Math.floor(remaining * 0.45), () => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`);
    quota('ORGANISATION', Math.floor(remaining * 0.25), () => `${rng.pick(DOMESTIC)} ${rng.pick(ORG_TYPES)}`);
    quota('TOPIC', target - this.tags.length, () => `${rng.pick(TOPIC_QUALIFIERS)} ${rng.pick(TOPIC_BASE).toLowerCase()}`);
    // Should the combinations run out, numbered topics fill the rest.
    for (let n = 1; this.tags.length < target; n++) add(`Topic ${n}`, 'TOPIC');
  }

  private pickSection(rng: Rng): SectionInfo {
    let r = rng.float() * this.sectionWeightTotal;
    for (const s of this.sectionInfo) {
      r -= s.weight;
      if (r < 0) return s;
    }
    return this.sectionInfo[this.sectionInfo.length - 1];
  }

  private person(rng: Rng) {
    return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
  }

  /** Rows for articles with ids [from, to] (1-based, inclusive), in id order. */
  articleBatch(from: number, to: number) {
    const rng = this.articleRng;
    const media: MediaRow[] = [];
    const articles: ArticleRow[] = [];
    const bylines: BylineRow[] = [];
    const articleTags: ArticleTagRow[] = [];
    const corrections: CorrectionRow[] = [];
    const bodyMedia: { articleId: number; mediaId: number }[] = [];
    for (let id = from; id <= to; id++) {
      const time = this.times[id - 1];
      const section = this.pickSection(rng);
      const vocab = VOCAB[section.vocab === 'obituary' ? 'politics' : section.vocab];

      // Status: ≈95% published.
      const r = rng.float();
      const status: ArticleRow['status'] = r < 0.95 ? 'PUBLISHED' : r < 0.97 ? 'DRAFT' : r < 0.985 ? 'SCHEDULED' : 'UNPUBLISHED';
      this.statuses[id - 1] = status === 'DRAFT' ? 0 : status === 'SCHEDULED' ? 1 : status === 'PUBLISHED' ? 2 : 3;

      const kind: ArticleRow['kind'] =
        section.slug === 'editorial'
          ? 'EDITORIAL'
          : section.vocab === 'opinion'
            ? 'OPINION'
            : section.vocab === 'obituary'
              ? 'OBITUARY'
              : section.vocab === 'culture'
                ? rng.pick(['REVIEW', 'FEATURE', 'NEWS'] as const)
                : rng.chance(0.8)
                  ? 'NEWS'
                  : rng.pick(['ANALYSIS', 'FEATURE'] as const);

      // Text.
      const actor = rng.pick(vocab.actors);
      const plural = actor.startsWith('+');
      const actorName = actor.replace(/^\+/, '');
      const verb = rng.pick(VERBS);
      const object = rng.pick(vocab.objects);
      const place = section.places[rng.skewed(section.places.length, 1.6)];
      const weekday = WEEKDAYS[new Date(time + 5 * HOUR).getUTCDay()];
      let headline: string;
      let summary: string;
      if (kind === 'OBITUARY') {
        const name = this.person(rng);
        headline = `${name}, ${rng.pick(BEATS)} pioneer, dies at ${rng.int(61, 97)}`;
        summary = `${name} spent more than ${rng.int(3, 6)} decades in ${place} working on ${rng.pick(BEATS)}.`;
      } else {
        const short = actorName.replace(/^The /, '');
        headline = capitalise(
          `${short} ${plural ? verb[1] : verb[0]} ${object}${rng.chance(0.5) ? ` in ${place}` : ''}${rng.chance(0.4) ? ` ${rng.pick(CLAUSES)}` : ''}`,
        );
        if (kind === 'ANALYSIS') headline = `Analysis: ${headline}`;
        if (kind === 'REVIEW') headline = `Review: ${headline}`;
        summary = `${actorName} ${verb[2]} ${object} on ${weekday}, ${rng.pick(REASONS)}.`;
      }
      const body = this.body(rng, vocab, actorName, plural, verb, object, place, weekday);

      // Times.
      let publishedAt: number | null = null;
      let updatedAt: number | null = null;
      let scheduledAt: number | null = null;
      let createdAt = time - rng.int(10, 240) * 60_000;
      if (status === 'PUBLISHED' || status === 'UNPUBLISHED') {
        publishedAt = time;
        if (status === 'UNPUBLISHED' || rng.chance(0.15)) updatedAt = Math.min(this.now, time + rng.int(10, 48 * 60) * 60_000);
      } else if (status === 'SCHEDULED') {
        scheduledAt = this.now + rng.int(1, 14 * 24) * HOUR;
        createdAt = Math.min(createdAt, this.now - HOUR);
      }
      const modifiedAt = updatedAt ?? publishedAt ?? createdAt;

      // Byline.
      let heroMediaId: number | null = null;
      let authorIds: { id: number; role: BylineRow['role'] }[];
      if (kind === 'EDITORIAL') authorIds = [{ id: this.editorialBoardId, role: 'AUTHOR' }];
      else if (kind !== 'OPINION' && rng.chance(0.2))
        authorIds = [{ id: this.agencyIds[rng.skewed(this.agencyIds.length, 1.5)], role: 'AGENCY' }];
      else {
        const n = rng.chance(0.7) ? 1 : rng.chance(0.73) ? 2 : 3;
        const people = rng.distinct(this.personIds.length, n, () => rng.skewed(this.personIds.length, 1.8));
        authorIds = people.map((p, i) => ({
          id: this.personIds[p],
          role: kind === 'OPINION' || kind === 'REVIEW' ? 'AUTHOR' : i === 0 ? 'REPORTER' : rng.chance(0.5) ? 'CONTRIBUTOR' : 'REPORTER',
        }));
      }
      // Hero media (≈60%).
      if (rng.chance(0.6)) {
        heroMediaId = ++this.mediaId;
        // A staff photographer sometimes joins the byline.
        if (kind !== 'EDITORIAL' && authorIds.length < 3 && rng.chance(0.15)) {
          const photographer = this.personIds[rng.int(0, this.personIds.length - 1)];
          if (!authorIds.some((a) => a.id === photographer)) authorIds.push({ id: photographer, role: 'PHOTOGRAPHER' });
        }
        const bylineNames = authorIds.map((a) => this.authors[a.id - 1].name);
        const landscape = rng.chance(0.7);
        media.push({
          id: heroMediaId,
          url: `https://media.example.com/generated/${this.seed}/${heroMediaId}.jpg`,
          caption: `${capitalise(object)} in ${place}. — ${rng.chance(0.5) ? 'File photo' : 'Photo'}`,
          credit: bylineNames[bylineNames.length - 1],
          altText: `A scene in ${place}`,
          width: 1600,
          height: landscape ? 900 : 1067,
          createdAt: iso(createdAt),
        });
      }
      for (const [position, a] of authorIds.entries()) bylines.push({ articleId: id, authorId: a.id, position, role: a.role });

      // Tags: the dateline place when it is a tag, then 1–5 more skewed towards the busiest.
      const tagIds: number[] = [];
      const placeTag = this.placeTagIds.get(place);
      if (placeTag) tagIds.push(placeTag);
      const want = rng.int(2, 6);
      for (let guard = 0; tagIds.length < want && guard < 40; guard++) {
        const tagId = 1 + rng.skewed(this.tags.length, 2.2);
        if (!tagIds.includes(tagId)) tagIds.push(tagId);
      }
      for (const tagId of tagIds) articleTags.push({ articleId: id, tagId });

      // Corrections on a few updated stories.
      if (publishedAt !== null && updatedAt !== null && rng.chance(0.08)) {
        corrections.push({
          id: ++this.correctionId,
          articleId: id,
          text: `An earlier version of this story misstated the ${rng.pick(['date', 'figure', 'name', 'title'])} in the ${rng.pick(['second', 'third', 'fourth'])} paragraph.`,
          createdAt: iso(updatedAt),
        });
      }

      // The other block kinds, on a stream of their own so the rest of the newsroom stays as it was:
      // a photo in the body (≈25%), a pull quote (≈15%), a list of key points (≈10%).
      const extra = new Rng(this.seed, `body:${id}`);
      const paragraphs = body.split('\n\n');
      if (extra.chance(0.25)) {
        const mediaId = ++this.mediaId;
        media.push({
          id: mediaId,
          url: `https://media.example.com/generated/${this.seed}/${mediaId}.jpg`,
          caption: `${capitalise(place)}, ${weekday}.`,
          credit: 'Staff photographer',
          altText: `A street in ${place}`,
          width: 1600,
          height: 1067,
          createdAt: iso(createdAt),
        });
        paragraphs.splice(2, 0, `![${capitalise(place)} on ${weekday}.](media:${mediaId} "Staff photographer")`);
        bodyMedia.push({ articleId: id, mediaId });
      }
      if (extra.chance(0.15)) paragraphs.splice(4, 0, `:::pullquote{by="${this.person(extra)}"}\n${extra.pick(QUOTES)}.\n:::`);
      if (extra.chance(0.1)) paragraphs.push(`Key points:\n\n${[0, 1, 2].map(() => `- ${capitalise(extra.pick(EFFECTS))}`).join('\n')}`);
      const markdown = paragraphs.join('\n\n');
      const parsedBody = parseBody(markdown);

      const slugBase = slugify(headline).slice(0, 70).replace(/-+$/, '');
      const prefix = status === 'PUBLISHED' ? '' : `${status.toLowerCase()}-`;
      articles.push({
        id,
        slug: `${prefix}${slugBase}-${id}`,
        headline,
        summary,
        body: markdown,
        bodyBlocks: parsedBody.blocks,
        bodyText: parsedBody.text,
        kind,
        status,
        sectionId: section.id,
        dateline: kind === 'OPINION' || kind === 'EDITORIAL' ? null : place.toUpperCase(),
        heroMediaId,
        publishedAt: publishedAt === null ? null : iso(publishedAt),
        updatedAt: updatedAt === null ? null : iso(updatedAt),
        scheduledAt: scheduledAt === null ? null : iso(scheduledAt),
        version: 1 + (updatedAt === null ? 0 : 1) + (status === 'UNPUBLISHED' ? 1 : 0),
        createdAt: iso(createdAt),
        modifiedAt: iso(modifiedAt),
      });
    }
    return { media, articles, bylines, articleTags, corrections, bodyMedia };
  }

  private body(
    rng: Rng,
    vocab: Vocab,
    actor: string,
    plural: boolean,
    verb: [string, string, string],
    object: string,
    place: string,
    weekday: string,
  ): string {
    const pronoun = plural ? 'they' : 'it';
    const other = () => rng.pick(vocab.actors).replace(/^\+/, '');
    const otherObject = () => rng.pick(vocab.objects);
    const quote = () => `“${rng.pick(QUOTES)},” said ${this.person(rng)}, ${rng.pick(vocab.roles)} in ${rng.pick(DOMESTIC)}.`;
    const lead = () => `${actor} ${verb[2]} ${object} on ${weekday}, ${rng.pick(REASONS)}.`;
    const sentences: (() => string)[] = [
      () =>
        `The decision follows weeks of debate in ${place}, where ${rng.pick(PEOPLE)} have complained about ${otherObject()} since ${rng.pick(MONTHS)}.`,
      quote,
      () =>
        `Officials estimate the cost at ${rng.int(2, 950)} billion rupees, a figure ${rng.pick(['critics dispute', 'that has grown since last year', 'to be met from the federal budget', 'that lenders will examine'])}.`,
      () => `Critics say ${object} would ${rng.pick(EFFECTS)}.`,
      () =>
        `${other()} said ${pronoun} would ${verb[1]} ${otherObject()} ${rng.pick(['by the end of the year', 'within weeks', 'before the next session', 'once funding is approved', 'after consultations'])}.`,
      () =>
        `According to figures released in ${rng.pick(MONTHS)}, ${rng.pick(METRICS)} ${rng.pick(['rose', 'fell'])} by ${rng.int(2, 48)} per cent over the previous year.`,
      () => `${this.person(rng)} said the plan would ${rng.pick(EFFECTS)}, adding that ${rng.pick(ADDINGS)}.`,
      () => `In ${rng.pick(DOMESTIC)}, ${rng.pick(PEOPLE)} said ${rng.pick(PEOPLE_SAID)}.`,
      () => `Analysts noted that ${otherObject()} had been ${verb[2]} twice before, in ${rng.int(1998, 2019)} and ${rng.int(2020, 2024)}.`,
      () => `${other()} did not respond to a request for comment.`,
      () =>
        `The issue is expected to come up again when ${other().toLowerCase()} meet${plural ? '' : 's'} ${rng.pick(['next week', 'later this month', 'after the holidays', 'in the spring'])}.`,
    ];
    const paragraphs: string[] = [];
    const count = rng.int(6, 10);
    for (let p = 0; p < count; p++) {
      if (p === 3 && rng.chance(0.3)) paragraphs.push(`## ${rng.pick(SUBHEADS)}`);
      const n = p === 0 ? 2 : rng.int(2, 3);
      const parts: string[] = [];
      for (let s = 0; s < n; s++) parts.push((p === 0 && s === 0 ? lead : rng.pick(sentences))());
      paragraphs.push(parts.join(' '));
    }
    return paragraphs.join('\n\n');
  }

  /** Articles that have been published (PUBLISHED or UNPUBLISHED) in [fromMs, toMs), as ids. */
  private publishedBetween(fromMs: number, toMs: number): number[] {
    const lo = lowerBound(this.times, fromMs);
    const hi = lowerBound(this.times, toMs);
    const ids: number[] = [];
    for (let i = lo; i < hi; i++) if (this.statuses[i] >= 2) ids.push(i + 1);
    return ids;
  }

  /** DAILY editions for the last 60 days (≈30 placements each) and PRINT editions for the last 7. */
  editions() {
    const rng = new Rng(this.seed, 'editions');
    const editions: EditionRow[] = [];
    const placements: PlacementRow[] = [];
    const today = Math.floor(this.now / DAY) * DAY;
    const add = (kind: EditionRow['kind'], day: number, perEdition: number) => {
      const date = iso(day).slice(0, 10);
      const [y, m, d] = date.split('-');
      const label = `${MONTHS[Number(m) - 1]} ${d}, ${y}`;
      const id = editions.length + 1;
      editions.push({
        id,
        slug: `${kind.toLowerCase()}-${date}`,
        name: kind === 'DAILY' ? `E-Paper | ${label}` : `Print Edition | ${label}`,
        kind,
        date,
        createdAt: iso(day),
      });
      // The e-paper carries the day's stories; print carries the previous day's.
      const candidates = kind === 'DAILY' ? this.publishedBetween(day, day + DAY) : this.publishedBetween(day - DAY, day);
      const chosen = rng.distinct(candidates.length, perEdition).map((i) => candidates[i]);
      chosen.forEach((articleId, k) => {
        placements.push({ id: placements.length + 1, editionId: id, articleId, page: 1 + Math.floor(k / 4), position: 1 + (k % 4) });
      });
    };
    for (let d = 0; d < 60; d++) add('DAILY', today - d * DAY, rng.int(26, 34));
    for (let d = 0; d < 7; d++) add('PRINT', today - d * DAY, 12);
    return { editions, placements };
  }

  collections() {
    const rng = new Rng(this.seed, 'collections');
    const specs = [
      ['must-read', 'Must Read', 'Stories our editors think you should not miss.', 10],
      ['weekend-reads', 'Weekend Reads', 'Longer stories for a slower morning.', 8],
      ['editors-picks', 'Editors’ Picks', 'The best of the week, chosen by our editors.', 20],
      ['long-reads', 'Long Reads', 'In-depth features and analysis.', 12],
      ['explainers', 'Explainers', 'The background to the news.', 10],
    ] as const;
    // Drawn from the last 30 days, drafts included: a leak through a collection should show.
    const lo = lowerBound(this.times, this.now - 30 * DAY);
    const pool = this.count - lo;
    const collections: CollectionRow[] = [];
    const items: CollectionItemRow[] = [];
    specs.forEach(([slug, name, description, size], index) => {
      const id = index + 1;
      collections.push({ id, slug, name, description, createdAt: iso(this.now - 30 * DAY) });
      for (const [position, i] of rng.distinct(pool, size).entries())
        items.push({ collectionId: id, articleId: lo + i + 1, position: position + 1 });
    });
    return { collections, items };
  }

  /**
   * Hourly read counts over the last 7 days for ≈20% of articles: nearly every story published in
   * the window, and a sprinkling of older ones. Yields batches to keep memory flat.
   */
  *reads(batchSize: number): Generator<ReadRow[]> {
    const rng = new Rng(this.seed, 'reads');
    const nowHour = Math.floor(this.now / HOUR) * HOUR;
    const windowStart = nowHour - 167 * HOUR;
    let batch: ReadRow[] = [];
    for (let i = 0; i < this.count; i++) {
      if (this.statuses[i] < 2) continue;
      const time = this.times[i];
      const recent = time >= windowStart;
      if (!rng.chance(recent ? 0.9 : 0.18)) continue;
      const firstHour = recent ? Math.floor((Math.floor(time / HOUR) * HOUR - windowStart) / HOUR) : 0;
      const hours = 168 - firstHour;
      const popularity = 1 + Math.floor(400 * rng.float() ** 4);
      const k = rng.int(1, Math.min(8, hours));
      for (const h of rng.distinct(hours, k).sort((a, b) => a - b)) {
        batch.push({
          articleId: i + 1,
          bucket: iso(windowStart + (firstHour + h) * HOUR),
          count: Math.max(1, Math.round(popularity * (0.5 + rng.float()))),
        });
      }
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
}

function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
