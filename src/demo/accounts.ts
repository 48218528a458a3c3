/**
 * The demo platform's fictional members and posts. Post bodies are user content, not interface
 * text: they stay in their author's language (and are marked up with `lang`), as on a real
 * platform; everything around them comes from the catalogue.
 */
export interface DemoAccount {
  id: string;
  name: string;
  language: string;
  email: string;
  /** Under-18 accounts are excluded from AI training by default (GDPR Art. 6(1)(f), Art. 8). */
  minor: boolean;
}

export interface DemoPost {
  id: string;
  author: string;
  language: string;
  text: string;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    id: 'demo-amelie',
    name: 'Amélie Durand',
    language: 'fr',
    email: 'amelie@demo.example',
    minor: false,
  },
  {
    id: 'demo-oliver',
    name: 'Oliver Bennett',
    language: 'en',
    email: 'oliver@demo.example',
    minor: false,
  },
  { id: 'demo-lea', name: 'Léa Morel', language: 'fr', email: 'lea@demo.example', minor: true },
];

/** Camille Martin has no account but is named in two posts: the non-user the portal serves. */
export const NON_USER_NAME = 'Camille Martin';

export const DEMO_POSTS: readonly DemoPost[] = [
  {
    id: 'p1',
    author: 'demo-oliver',
    language: 'en',
    text: `Great hike in the Vosges with ${NON_USER_NAME} yesterday. She knows every trail!`,
  },
  {
    id: 'p2',
    author: 'demo-amelie',
    language: 'fr',
    text: `Anniversaire surprise pour ${NON_USER_NAME} hier soir. Merci à toutes et à tous d’être venus !`,
  },
  {
    id: 'p3',
    author: 'demo-lea',
    language: 'fr',
    text: 'Premier jour au lycée. On verra bien…',
  },
];

export function demoAccount(id: string | undefined): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((a) => a.id === id);
}
