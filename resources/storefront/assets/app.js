// Storefront entry point: header (search, categories), shop status, and the router
// that renders each view into <main id="app">. No inline script anywhere: the CSP
// forbids it, so every handler is attached here.
import { fetchCategories, fetchHealth } from './api.js';
import { authStatus, logout, ready as authReady, subscribe } from './auth.js';
import { lastCart, subscribeCart, watchCart } from './cart.js';
import { closeAccountMenuOn, renderAccountMenu } from './components/account-menu.js';
import { markCartLink, renderCartLink } from './components/cart-link.js';
import { markCurrentCategory, renderCategoryNav } from './components/category-nav.js';
import { createRouter } from './router.js';
import accountView from './views/account.js';
import cartView from './views/cart.js';
import catalogView from './views/catalog.js';
import checkoutView from './views/checkout.js';
import { errorResult } from './views/error.js';
import forgotPasswordView from './views/forgot-password.js';
import loginView from './views/login.js';
import notFoundView from './views/not-found.js';
import orderConfirmationView from './views/order-confirmation.js';
import orderView from './views/order.js';
import ordersView from './views/orders.js';
import productView from './views/product.js';
import registerView from './views/register.js';
import resetPasswordView from './views/reset-password.js';
import searchView from './views/search.js';
import verifyEmailView from './views/verify-email.js';

const outlet = document.getElementById('app');
const categoryList = document.getElementById('category-list');
const searchForm = document.getElementById('search-form');
const searchInput = document.getElementById('search-q');
const live = document.getElementById('live');
const accountSlot = document.getElementById('account-slot');
const cartLink = document.getElementById('cart-link');

// Categories are needed by the header and by several views: fetched once per page
// load (the browser revalidates with the ETag), retried if the first attempt failed.
let categoriesRequest = null;
function categories() {
  if (!categoriesRequest) {
    categoriesRequest = fetchCategories().then((result) => {
      if (!result.ok) categoriesRequest = null;
      return result;
    });
  }
  return categoriesRequest;
}

// A malformed escape (/category/%E0) is just an unknown name, not an exception.
function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const routes = [
  { pattern: /^\/$/, view: catalogView },
  { pattern: /^\/products\/?$/, view: catalogView },
  { pattern: /^\/category\/([^/]+)\/?$/, view: catalogView, params: (m) => ({ slug: decode(m[1]) }) },
  { pattern: /^\/search\/?$/, view: searchView },
  { pattern: /^\/product\/([^/]+)\/?$/, view: productView, params: (m) => ({ id: decode(m[1]) }) },
  // The learning lab's API path, typed into the address bar: same product page.
  { pattern: /^\/products\/([0-9]+)\/?$/, redirect: (m) => `/product/${m[1]}` },
  { pattern: /^\/account\/?$/, view: accountView },
  { pattern: /^\/account\/login\/?$/, view: loginView },
  { pattern: /^\/account\/register\/?$/, view: registerView },
  { pattern: /^\/account\/forgot-password\/?$/, view: forgotPasswordView },
  { pattern: /^\/reset-password\/?$/, view: resetPasswordView },
  { pattern: /^\/verify-email\/?$/, view: verifyEmailView },
  { pattern: /^\/cart\/?$/, view: cartView },
  { pattern: /^\/checkout\/?$/, view: checkoutView },
  { pattern: /^\/orders\/?$/, view: ordersView },
  { pattern: /^\/orders\/([^/]+)\/?$/, view: orderView, params: (m) => ({ id: decode(m[1]) }) },
  { pattern: /^\/orders\/([^/]+)\/confirmation\/?$/, view: orderConfirmationView, params: (m) => ({ id: decode(m[1]) }) },
];

function currentCategory(ctx) {
  if (ctx.path === '/' || /^\/products\/?$/.test(ctx.path)) return '';
  if (ctx.params.slug !== undefined) return ctx.params.slug;
  return null;
}

let currentSlug = null; // the category the current view shows ('' = all, null = none)

// Signing out from the header menu or the account page: the server ends the session,
// the page goes home and says so.
let signingOut = false;
async function signOut() {
  signingOut = true;
  try {
    await logout();
  } finally {
    signingOut = false;
  }
  live.textContent = 'You are signed out.';
  router.navigate('/');
}

const router = createRouter({
  outlet,
  routes,
  notFound: notFoundView,
  context: {
    categories,
    signOut,
    failure: (ctx) => errorResult(ctx, { message: 'This page could not be shown. Please try again.' }, {
      heading: 'Something went wrong', title: 'Error',
    }),
  },
  // The header follows the navigation at once, before the view's data arrives.
  onStart(ctx) {
    currentSlug = currentCategory(ctx);
    markCurrentCategory(categoryList, currentSlug);
    markCartLink(cartLink, ctx.path);
    searchInput.value = ctx.path === '/search' ? (ctx.query.get('q') || '') : '';
  },
  onRendered(ctx, result) {
    if (result.announce) live.textContent = result.announce;
  },
});

searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = searchInput.value.trim();
  if (!q) {
    searchInput.focus();
    return;
  }
  router.navigate(`/search?q=${encodeURIComponent(q)}`);
});

async function showCategories() {
  const result = await categories();
  if (result.ok) {
    renderCategoryNav(categoryList, result.data);
    markCurrentCategory(categoryList, currentSlug);
  }
}

// The shop's status in the footer (GET /api/health).
async function showHealth() {
  const status = document.getElementById('status');
  const result = await fetchHealth();
  if (result.ok && result.data.status === 'healthy') {
    status.textContent = 'The shop is open.';
    status.className = 'status ok';
  } else {
    status.textContent = 'The shop is unavailable right now. Please try again shortly.';
    status.className = 'status down';
  }
}

// The header's account corner follows the session; a page that needs one leaves when
// it ends (e.g. signed out in another tab).
let wasSignedIn = false;
subscribe((user) => {
  renderAccountMenu(accountSlot, user, authStatus(), { onSignOut: signOut });
  // Pages that need a session: the account, checkout and the orders.
  if (wasSignedIn && !user && !signingOut && /^\/(account|checkout|orders(\/.*)?)\/?$/.test(location.pathname)) {
    router.navigate(`/account/login?next=${location.pathname}`, { replace: true });
  }
  wasSignedIn = Boolean(user);
});
closeAccountMenuOn(accountSlot);

// The header's cart count follows every change to the cart, from any view.
subscribeCart((cart) => renderCartLink(cartLink, cart));
renderCartLink(cartLink, lastCart());
watchCart();

showCategories();
showHealth();
authReady();
router.start();
