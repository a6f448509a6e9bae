// Client-side routing over the History API. The server answers every extension-less
// path with index.html, so each of these URLs also works when typed or reloaded.
//
// A route is { pattern: RegExp, view, params?(match) } or { pattern, redirect(match) }.
// A view is { load(ctx) -> Promise<result>, skeleton?(ctx) -> Node } where result is
// { node, title, announce?, focus? }: load() fetches what it needs and builds the
// view's DOM off-screen; the router swaps it in only if no newer navigation started.

const SKELETON_DELAY_MS = 150; // fast (cached) answers never flash a skeleton

export function createRouter({ outlet, routes, notFound, context = {}, onStart, onRendered }) {
  let sequence = 0;
  let firstRender = true;
  let shownHref = null; // path + query of the view being shown or loaded

  function match(pathname) {
    for (const route of routes) {
      const m = route.pattern.exec(pathname);
      if (m) return { route, m };
    }
    return null;
  }

  function href() {
    return `${location.pathname}${location.search}`;
  }

  async function render({ restoreScroll = null, scroll = true, focus = true, focusSelector = null } = {}) {
    const token = ++sequence;
    const initial = firstRender;
    firstRender = false;
    const url = new URL(location.href);
    const found = match(url.pathname);

    if (found && found.route.redirect) {
      history.replaceState(history.state, '', found.route.redirect(found.m) + url.search);
      firstRender = initial;
      return render({ restoreScroll, scroll, focus, focusSelector });
    }

    const view = found ? found.route.view : notFound;
    const ctx = {
      ...context,
      url,
      path: url.pathname,
      query: url.searchParams,
      params: found && found.route.params ? found.route.params(found.m) : {},
      navigate,
      isCurrent: () => token === sequence,
    };

    shownHref = `${url.pathname}${url.search}`;
    outlet.setAttribute('aria-busy', 'true');
    outlet.dataset.state = 'loading';
    if (onStart) onStart(ctx);
    const skeletonTimer = view.skeleton
      ? setTimeout(() => { if (ctx.isCurrent()) outlet.replaceChildren(view.skeleton(ctx)); }, SKELETON_DELAY_MS)
      : null;

    let result;
    try {
      result = await view.load(ctx);
    } catch (error) {
      console.error(error); // a defect in a view: surfaced, and the page still says something
      result = context.failure ? context.failure(ctx, error) : { node: document.createTextNode('Something went wrong.'), title: 'Error' };
    }
    clearTimeout(skeletonTimer);
    if (token !== sequence) return; // a newer navigation owns the outlet now

    outlet.replaceChildren(result.node);
    document.title = result.title ? `${result.title} · ShopDesk` : 'ShopDesk';
    outlet.dataset.view = result.view || 'page';
    outlet.dataset.href = `${url.pathname}${url.search}`; // which URL is on screen (tests wait for it)
    outlet.dataset.state = 'ready';
    outlet.setAttribute('aria-busy', 'false');
    if (onRendered) onRendered(ctx, result);

    if (restoreScroll !== null) window.scrollTo(0, restoreScroll);
    else if (scroll) window.scrollTo(0, 0);

    // After a client-side navigation, move focus to the new content so keyboard and
    // screen reader users start there (the first load keeps the browser's default).
    if (!initial && focus) {
      const target = (focusSelector && outlet.querySelector(focusSelector)) ||
        result.focus || outlet.querySelector('h1');
      if (target) {
        if (!target.hasAttribute('tabindex') && !target.matches('a, button, input, select, textarea')) {
          target.setAttribute('tabindex', '-1');
        }
        target.focus({ preventScroll: restoreScroll !== null || !scroll });
      }
    }
  }

  // navigate('/category/books?page=2') pushes a history entry and renders it.
  // options: replace (no new entry), scroll (false keeps the position), focus,
  // focusSelector (what gets focus after rendering, e.g. the control just used).
  function navigate(target, { replace = false, ...options } = {}) {
    const next = new URL(target, location.href);
    const nextHref = `${next.pathname}${next.search}`;
    // Remember where the reader was, for Back.
    history.replaceState({ ...(history.state || {}), scrollY: window.scrollY }, '');
    if (replace || nextHref === href()) history.replaceState({ scrollY: 0 }, '', nextHref);
    else history.pushState({ scrollY: 0 }, '', nextHref);
    return render(options);
  }

  function shouldIntercept(event, anchor) {
    if (event.defaultPrevented || event.button !== 0) return false;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
    if (anchor.target && anchor.target !== '_self') return false;
    if (anchor.hasAttribute('download') || anchor.dataset.native !== undefined) return false;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin) return false;
    // Same page, different fragment (the skip link): the browser's job.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return false;
    // Files (/assets/..., /api/...) are not views.
    if (url.pathname.startsWith('/api/') || /\.[^/]+$/.test(url.pathname)) return false;
    return true;
  }

  function start() {
    if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
    document.addEventListener('click', (event) => {
      const anchor = event.target instanceof Element ? event.target.closest('a[href]') : null;
      if (!anchor || !shouldIntercept(event, anchor)) return;
      event.preventDefault();
      navigate(anchor.href);
    });
    window.addEventListener('popstate', (event) => {
      // Following an in-page #fragment link also fires popstate: same view, nothing to do.
      if (href() === shownHref) return;
      render({ restoreScroll: event.state && Number.isFinite(event.state.scrollY) ? event.state.scrollY : 0, focus: false });
    });
    return render();
  }

  return { start, navigate, render };
}
