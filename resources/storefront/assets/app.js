// Storefront entry point. No inline script anywhere: the CSP forbids it.
import { api } from './api.js';

async function showHealth() {
  const status = document.getElementById('status');
  const result = await api('/api/health');
  if (result.ok && result.data.status === 'healthy') {
    status.textContent = 'The shop is open.';
    status.className = 'status ok';
  } else {
    status.textContent = 'The shop is unavailable right now. Please try again shortly.';
    status.className = 'status down';
  }
}

showHealth();
