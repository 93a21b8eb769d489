// The test's wallet: an EIP-1193 provider injected into every page (Playwright's
// add_init_script) and announced with EIP-6963, as a wallet extension is. Each request goes
// to the test (an exposed function) which answers it from the test's anvil, whose
// development accounts sign: real signatures and real transactions.
(() => {
  const provider = {
    async request({ method, params }) {
      const answer = await window.__microtaskTestWallet(method, params ?? [])
      if (answer && answer.error) {
        const error = new Error(answer.error.message)
        error.code = answer.error.code
        if (answer.error.data !== undefined) error.data = answer.error.data // a revert's data, as wallets pass it
        throw error
      }
      return answer.result
    },
    on() {},
    removeListener() {},
  }
  const info = Object.freeze({
    uuid: '7d3c8f1e-3b0a-4f52-9a61-0c6f2d9e8b11',
    name: 'Test Wallet',
    icon: 'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%2224%22 height=%2224%22%3E%3Crect width=%2224%22 height=%2224%22 fill=%22%23345%22/%3E%3C/svg%3E',
    rdns: 'org.microtask.testwallet',
  })
  const announce = () =>
    window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }))
  window.addEventListener('eip6963:requestProvider', announce)
  announce()
})()
