// The marketplace's web pages: server-rendered HTML over the same services as the API.
export { errorPage } from './src/pages/catalog-pages.js';
export { PublicApi } from './src/public-api.js';
export { FORM_BODY_LIMIT, WebController } from './src/web.controller.js';
export { WebService } from './src/web.service.js';
