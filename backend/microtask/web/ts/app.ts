// The web app's one ES module. Every page is server-rendered and works for reading without
// it; this adds the wallet (in the header of every page), htmx's partial updates, and the
// page's own behaviour, loaded on demand so the task list ships no cryptography.
import 'htmx.org'
import { config } from './config'
import { setUpWallet } from './wallet'

const pages: Record<string, () => Promise<{ setUp(): void }>> = {
  tasks: () => import('./pages/tasks'),
  task: () => import('./pages/task'),
  work: () => import('./pages/work'),
  earnings: () => import('./pages/earnings'),
  create: () => import('./pages/create'),
  operator: () => import('./pages/operator'),
  arbitrate: () => import('./pages/arbitrate'),
  requests: () => import('./pages/requests'),
  policy: () => import('./pages/policy'),
  results: () => import('./pages/results'),
  review: () => import('./pages/review'),
}

setUpWallet()
const load = pages[config().page]
if (load !== undefined) {
  void load()
    .then((page) => page.setUp())
    .finally(() => {
      document.documentElement.dataset.ready = 'true'
    })
} else {
  document.documentElement.dataset.ready = 'true'
}
