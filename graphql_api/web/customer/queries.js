// The GraphQL documents the customer's pages send (public API only).

export const USER_ERRORS = "userErrors { code message field }";

export const ORGANIZATION_FIELDS = `
  name slug currencyCode showsInstantOffers
  branding { logoUrl accentColor headline footerText }
  conditionQuestions { key label options }`;

export const QUOTE_FIELDS = `
  id number status awaiting source version expiresAt currencyCode submittedAt
  contact { name email phone }
  organization { ${ORGANIZATION_FIELDS} }
  lines {
    id position condition carrierLock quantity status awaiting
    device { type brand model storage color }
    conditionAnswers { question answer }
    askingPrice { amount currencyCode } customerPrice { amount currencyCode }
    merchantOffer { amount currencyCode } agreedPrice { amount currencyCode }
    instantOffer { amount currencyCode }
  }
  totals { lineCount unitCount asking { amount currencyCode } offered { amount currencyCode }
    agreed { amount currencyCode } }
  availableActions
  pdfUrl
  acceptance { signerName signerEmail signedAt signatureHash withdrawnAt certificateUrl valid }
  buyOrder { number paymentStatus payoutMethod fulfillment receiptUrl total { amount currencyCode }
    shippingLabel { carrier trackingNumber url } }`;

export const MESSAGE_FIELDS = `
  id kind author authorName body createdAt
  lineChanges { by action price { amount currencyCode } line { id position device { brand model } } }`;

const THREAD = `thread(first: 100) { totalCount edges { node { ${MESSAGE_FIELDS} } } }`;

export const LINK_QUOTE = `query LinkQuote { viewer { kind quote { ${QUOTE_FIELDS} ${THREAD} } } }`;
export const QUOTE = `query PortalQuote($id: ID!) { quote(id: $id) { ${QUOTE_FIELDS} ${THREAD} } }`;
export const QUOTE_UPDATED = `subscription QuoteUpdated($id: ID!) {
  quoteUpdated(quoteId: $id) { ${QUOTE_FIELDS} } }`;
export const THREAD_MESSAGES = `subscription ThreadMessages($id: ID!) {
  threadMessages(quoteId: $id) { ${MESSAGE_FIELDS} } }`;

export const ORGANIZATION = `query Organization($slug: String!) {
  organization(slug: $slug) { ${ORGANIZATION_FIELDS} } }`;
export const CONSENT = "query Consent { consentText { version text sha256 } }";
export const CATALOG = `query Catalog($slug: String, $search: String) {
  deviceCatalog(organizationSlug: $slug, search: $search, first: 20) {
    totalCount edges { node { type brand model storages colors } } } }`;
export const LOOKUP = `mutation LookupImeis($input: LookupImeisInput!) {
  lookupImeis(input: $input) {
    results { imei valid flags device { type brand model storage color } }
    remainingLookups ${USER_ERRORS} } }`;
export const INSTANT_QUOTE = `query InstantQuote($input: InstantQuoteInput!) {
  instantQuote(input: $input) {
    quote { offer { amount currencyCode } basePrice { amount currencyCode }
      deductions { question answer kind amount } }
    ${USER_ERRORS} } }`;

const QUOTE_PAYLOAD = `quote { ${QUOTE_FIELDS} } ${USER_ERRORS}`;
export const SUBMIT = `mutation SubmitQuote($input: SubmitQuoteInput!) {
  submitQuote(input: $input) { ${QUOTE_PAYLOAD} } }`;
export const SUBMIT_TRADE_IN = `mutation SubmitTradeIn($input: SubmitTradeInInput!) {
  submitTradeIn(input: $input) { url accessToken quote { id } ${USER_ERRORS} } }`;
export const COUNTER = `mutation CounterOffer($input: CounterOfferInput!) {
  counterOffer(input: $input) { ${QUOTE_PAYLOAD} } }`;
export const ACCEPT = `mutation AcceptAllRemaining($input: AcceptAllRemainingInput!) {
  acceptAllRemaining(input: $input) { ${QUOTE_PAYLOAD} } }`;
export const REJECT = `mutation RejectAllRemaining($input: RejectAllRemainingInput!) {
  rejectAllRemaining(input: $input) { ${QUOTE_PAYLOAD} } }`;
export const WITHDRAW = `mutation WithdrawAcceptance($input: WithdrawAcceptanceInput!) {
  withdrawAcceptance(input: $input) { ${QUOTE_PAYLOAD} } }`;
export const SEND_MESSAGE = `mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) { message { ${MESSAGE_FIELDS} } ${USER_ERRORS} } }`;

export const REQUEST_CODE = `mutation RequestPortalCode($input: RequestPortalCodeInput!) {
  requestPortalCode(input: $input) { sent ${USER_ERRORS} } }`;
export const SIGN_IN = `mutation SignInToPortal($input: SignInToPortalInput!) {
  signInToPortal(input: $input) { token expiresAt ${USER_ERRORS} } }`;
export const MY_QUOTES = `query MyQuotes { viewer { customerEmail }
  quotes(first: 50) { totalCount edges { node {
    id number status awaiting submittedAt createdAt totals { lineCount asking { amount currencyCode }
    offered { amount currencyCode } } } } } }`;
